package org.streamfs.store.couchdb;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * The bytes of a ranged read as one stream: a list of attachment slices, fetched one after another (only
 * the attachments the range spans, each with a {@code Range} header and pinned to one document revision).
 * A server that honours the range answers 206 and we check its Content-Range; one that ignores it
 * (pouchdb-server) answers 200 with the whole attachment, and we skip to the offset and stop at the
 * length ourselves. A body that ends early is an error, never short or wrong bytes.
 */
final class RangeStream extends InputStream {

  /** Bytes {@code [start, start+length)} of attachment {@code name} of document {@code docId} at {@code rev}. */
  record Slice(String docId, String name, String rev, long start, long length) {}

  private final CouchDbHttp http;
  private final String key;
  private final List<Slice> slices;
  private final boolean pinned;
  private int next;
  private InputStream current;
  private long remaining;
  private boolean closed;

  RangeStream(CouchDbHttp http, String key, List<Slice> slices, boolean pinned) {
    this.http = http;
    this.key = key;
    this.slices = slices;
    this.pinned = pinned;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    while (current == null || remaining == 0) {
      closeCurrent();
      if (next >= slices.size()) {
        return -1;
      }
      open(slices.get(next++));
    }
    int n = current.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new StoreException(Kind.TRANSIENT, key, "CouchDB ended attachment " + slices.get(next - 1).name()
          + " " + remaining + " bytes early");
    }
    remaining -= n;
    return n;
  }

  private void open(Slice s) throws IOException {
    if (s.length() == 0) {
      current = InputStream.nullInputStream();
      remaining = 0;
      return;
    }
    long last = s.start() + s.length() - 1;
    String query = s.rev() == null ? null : CouchDbHttp.param("rev", s.rev());
    HttpResponse<InputStream> r = http.stream(http.request(http.docUri(s.docId(), s.name(), query), true)
        .header("Accept", "*/*").header("Range", "bytes=" + s.start() + "-" + last).GET().build(), key);
    InputStream body = r.body();
    int status = r.statusCode();
    if (status == 206) {
      Optional<String> cr = r.headers().firstValue("Content-Range");
      String expected = "bytes " + s.start() + "-" + last + "/";
      if (cr.isEmpty() || !cr.get().startsWith(expected)) {
        body.close();
        throw new StoreException(Kind.TRANSIENT, key, "CouchDB answered Range " + s.start() + "-" + last
            + " of attachment " + s.name() + " with Content-Range " + cr.orElse("(none)"));
      }
    } else if (status == 200) {
      long skipped = skipFully(body, s.start());
      if (skipped < s.start()) {
        body.close();
        throw new StoreException(Kind.TRANSIENT, key, "attachment " + s.name() + " of " + s.docId()
            + " is shorter than expected (" + skipped + " < " + s.start() + " bytes)");
      }
    } else {
      byte[] err = body.readNBytes(64 * 1024);
      body.close();
      com.fasterxml.jackson.databind.JsonNode json = null;
      try {
        json = CouchDbHttp.JSON.readTree(err);
      } catch (IOException e) {
        json = null;
      }
      if (status == 404 || status == 416) {
        throw new StoreException(pinned ? Kind.PRECONDITION_FAILED : Kind.TRANSIENT, key,
            "attachment " + s.name() + " of revision " + s.rev() + " is gone (HTTP " + status
            + "): the object changed while it was being read");
      }
      throw http.failure(status, json, "GET attachment " + s.name(), key);
    }
    current = body;
    remaining = s.length();
  }

  /** Skips up to {@code n} bytes; fewer only at end of stream. */
  static long skipFully(InputStream in, long n) throws IOException {
    long done = 0;
    byte[] buf = null;
    while (done < n) {
      long k = in.skip(n - done);
      if (k > 0) {
        done += k;
        continue;
      }
      if (buf == null) {
        buf = new byte[8192];
      }
      int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  private void closeCurrent() throws IOException {
    if (current != null) {
      InputStream c = current;
      current = null;
      c.close();
    }
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      closeCurrent();
    }
  }
}

package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.streamfs.model.Sha256;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Writes a whole file document in ONE update, so readers see the old version or the new one, never a mix.
 * Its chunk attachments come from attachments that already exist on the server (the parts of a staging
 * document, or the chunks of a copied file). CouchDB cannot move an attachment from one document to another,
 * so there are three ways: {@link Mode#STUBS} names the existing attachments by digest (pouchdb-server keeps
 * attachments in one digest-keyed store per database, so the new document simply references them: no bytes
 * move); {@link Mode#COPY} asks the server to copy a whole prepared document ({@code COPY} with a
 * {@code Destination} header; Apache CouchDB copies the attachments itself, no bytes cross the network);
 * and {@link Mode#STREAM} sends a {@code multipart/related} PUT whose attachment bodies are streamed from
 * the source attachments one after another, checked against their expected size and SHA-256 on the way (a
 * mismatch aborts the request before the final boundary, so nothing is committed) and never held whole in
 * memory. STREAM works everywhere; COPY is used on Apache CouchDB when the target id can travel raw in a
 * header (printable ASCII without {@code ?}), STREAM otherwise. Every way carries the previous revision (or
 * none), so a writer that got in between makes it fail with 409 instead of being overwritten.
 */
final class DocWriter {

  /** How chunk attachments reach the new document. */
  enum Mode {
    STUBS, COPY, STREAM
  }

  /** One chunk of the new document and where its bytes are now. */
  record Source(FileDoc.Chunk chunk, String docId, String attachment, String rev, JsonNode stub) {}

  private static final String CRLF = "\r\n";
  private final CouchDbHttp http;

  DocWriter(CouchDbHttp http) {
    this.http = http;
  }

  /**
   * PUTs document {@code manifest.id()} with body {@code manifest} (plus {@code extra} fields) over revision
   * {@code baseRev} (null: the document must not exist). Returns the reply; a 409 is the caller's to judge.
   */
  CouchDbHttp.Reply write(Mode mode, FileDoc manifest, String baseRev, List<Source> sources, String key)
      throws StoreException {
    ObjectNode body = CouchDbHttp.object();
    body.put("_id", manifest.id());
    if (baseRev != null) {
      body.put("_rev", baseRev);
    }
    body.set(FileDoc.FIELD, manifest.toJson());
    ObjectNode atts = body.putObject("_attachments");
    if (mode == Mode.STUBS || sources.isEmpty()) {
      for (Source s : sources) {
        ObjectNode a = atts.putObject(s.chunk().name());
        a.put("stub", true);
        a.put("content_type", s.stub().path("content_type").asText("application/octet-stream"));
        a.put("digest", s.stub().path("digest").asText());
        a.put("length", s.stub().path("length").asLong());
      }
      return http.putJson(http.docUri(manifest.id(), null, null), body, key);
    }
    for (Source s : sources) {
      ObjectNode a = atts.putObject(s.chunk().name());
      a.put("follows", true);
      a.put("content_type", "application/octet-stream");
      a.put("length", s.chunk().size());
    }
    String boundary = "streamfs-" + UUID.randomUUID();
    List<byte[]> heads = new ArrayList<>();
    byte[] first = ("--" + boundary + CRLF + "Content-Type: application/json" + CRLF + CRLF)
        .getBytes(StandardCharsets.UTF_8);
    byte[] json = CouchDbHttp.toBytes(body);
    long total = first.length + json.length;
    for (Source s : sources) {
      byte[] h = (CRLF + "--" + boundary + CRLF + "Content-Type: application/octet-stream" + CRLF
          + "Content-Disposition: attachment; filename=\"" + s.chunk().name() + "\"" + CRLF
          + "Content-Length: " + s.chunk().size() + CRLF + CRLF).getBytes(StandardCharsets.UTF_8);
      heads.add(h);
      total += h.length + s.chunk().size();
    }
    byte[] end = (CRLF + "--" + boundary + "--").getBytes(StandardCharsets.UTF_8);
    total += end.length;
    List<StreamPart> parts = new ArrayList<>();
    parts.add(new StreamPart(concat(first, json), null));
    for (int i = 0; i < sources.size(); i++) {
      parts.add(new StreamPart(heads.get(i), null));
      parts.add(new StreamPart(null, sources.get(i)));
    }
    parts.add(new StreamPart(end, null));
    HttpRequest req = http.request(http.docUri(manifest.id(), null, null), true)
        .header("Content-Type", "multipart/related; boundary=\"" + boundary + "\"")
        .PUT(HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(() -> new Multipart(parts, key)), total))
        .build();
    return http.send(req, key);
  }

  /** True when {@code id} can be named raw in a COPY {@code Destination} header. */
  static boolean headerSafe(String id) {
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '?') {
        return false;
      }
    }
    return true;
  }

  /**
   * Server-side copy of document {@code srcId} at {@code srcRev}, attachments included, to {@code targetId}
   * over {@code baseRev} (null: the target must not exist). The id must be {@link #headerSafe}.
   */
  CouchDbHttp.Reply copyDocument(String srcId, String srcRev, String targetId, String baseRev, String key)
      throws StoreException {
    if (!headerSafe(targetId)) {
      throw new IllegalArgumentException("document id cannot be a COPY destination: " + targetId);
    }
    String destination = baseRev == null ? targetId : targetId + "?rev=" + baseRev;
    return http.send(http.request(http.docUri(srcId, null, CouchDbHttp.param("rev", srcRev)), true)
        .header("Destination", destination).method("COPY", HttpRequest.BodyPublishers.noBody()).build(), key);
  }

  /** Writes a document whose attachments are sent inline (base64), from bytes already in memory. */
  CouchDbHttp.Reply writeInline(FileDoc manifest, String baseRev, List<byte[]> chunkBytes, String key)
      throws StoreException {
    ObjectNode body = CouchDbHttp.object();
    body.put("_id", manifest.id());
    if (baseRev != null) {
      body.put("_rev", baseRev);
    }
    body.set(FileDoc.FIELD, manifest.toJson());
    ObjectNode atts = body.putObject("_attachments");
    for (int i = 0; i < chunkBytes.size(); i++) {
      ObjectNode a = atts.putObject(manifest.chunks().get(i).name());
      a.put("content_type", "application/octet-stream");
      a.put("data", Base64.getEncoder().encodeToString(chunkBytes.get(i)));
    }
    return http.putJson(http.docUri(manifest.id(), null, null), body, key);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Either literal bytes or an attachment to stream. */
  private record StreamPart(byte[] bytes, Source source) {}

  /** The request body: literal pieces and verified attachment streams, opened one at a time. */
  private final class Multipart extends InputStream {
    private final List<StreamPart> parts;
    private final String key;
    private int next;
    private InputStream current;
    private Source source;
    private MessageDigest sha;
    private long seen;

    Multipart(List<StreamPart> parts, String key) {
      this.parts = parts;
      this.key = key;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        if (current == null) {
          if (next >= parts.size()) {
            return -1;
          }
          openNext();
        }
        int n = current.read(b, off, len);
        if (n > 0) {
          if (source != null) {
            seen += n;
            if (seen > source.chunk().size()) {
              throw fail("is longer than the expected " + source.chunk().size() + " bytes");
            }
            sha.update(b, off, n);
          }
          return n;
        }
        finishCurrent();
      }
    }

    private void openNext() throws IOException {
      StreamPart p = parts.get(next++);
      if (p.bytes() != null) {
        current = new ByteArrayInputStream(p.bytes());
        source = null;
        return;
      }
      source = p.source();
      sha = Sha256.newDigest();
      seen = 0;
      String q = source.rev() == null ? null : CouchDbHttp.param("rev", source.rev());
      HttpResponse<InputStream> r = http.stream(http.request(http.docUri(source.docId(),
          source.attachment(), q), true).header("Accept", "*/*").GET().build(), key);
      if (r.statusCode() != 200) {
        r.body().close();
        throw new StoreException(r.statusCode() == 404 ? Kind.NOT_FOUND : Kind.TRANSIENT, key,
            "cannot read attachment " + source.attachment() + " of " + source.docId() + " to copy it: HTTP "
            + r.statusCode());
      }
      current = r.body();
    }

    private void finishCurrent() throws IOException {
      current.close();
      current = null;
      if (source != null) {
        if (seen != source.chunk().size()) {
          throw fail("has " + seen + " bytes, expected " + source.chunk().size());
        }
        String got = Sha256.hex(sha.digest());
        if (source.chunk().sha256() != null && !source.chunk().sha256().equalsIgnoreCase(got)) {
          throw fail("has SHA-256 " + got + ", expected " + source.chunk().sha256());
        }
        source = null;
      }
    }

    private StoreException fail(String what) {
      return new StoreException(Kind.CHECKSUM, key, "attachment " + source.attachment() + " of "
          + source.docId() + " " + what + "; nothing was committed");
    }

    @Override
    public void close() throws IOException {
      if (current != null) {
        InputStream c = current;
        current = null;
        c.close();
      }
    }
  }
}

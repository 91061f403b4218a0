package org.streamfs.store.couchdb;

import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.testing.PouchDbServer;

/** Shared set-up of the CouchDB ITs: one pouchdb-server per class, a fresh database per store, raw HTTP. */
final class CouchDbTestSupport {
  static final int MIB = 1024 * 1024;
  private static final AtomicInteger DBS = new AtomicInteger();
  static final HttpClient RAW = HttpClient.newHttpClient();

  private CouchDbTestSupport() {}

  static PouchDbServer startServer() throws IOException {
    assumeTrue(PouchDbServer.available(), "pouchdb-server not installed in " + PouchDbServer.home()
        + " (run .ci/setup.d/30-pouchdb.sh)");
    return PouchDbServer.start();
  }

  static String newDbName() {
    return "t" + ProcessHandle.current().pid() + "-" + DBS.incrementAndGet();
  }

  static CouchDbStore newStore(PouchDbServer server, DocWriter.Mode mode) throws IOException {
    return CouchDbStores.fromUri(server.storeUri(newDbName()), true, Map.of(), mode);
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] readAll(ObjectStore store, String key, long offset, long length, String version)
      throws IOException {
    try (InputStream in = store.read(key, offset, length, version)) {
      return in.readAllBytes();
    }
  }

  /** Uploads {@code data} in parts of {@code partSize} bytes and returns the receipts in order. */
  static List<PartReceipt> uploadParts(ObjectStore store, String key, String uploadId, byte[] data,
      int partSize) throws IOException {
    List<PartReceipt> out = new ArrayList<>();
    for (int off = 0, n = 1; off < data.length; off += partSize, n++) {
      ByteBuffer part = ByteBuffer.wrap(data, off, Math.min(partSize, data.length - off)).slice();
      out.add(store.uploadPart(key, uploadId, n, part, Sha256.digest(part)));
    }
    return out;
  }

  static HttpResponse<String> raw(String method, String url, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(body));
    return RAW.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Whether {@code mnt} is a mount point now (from /proc/self/mountinfo). */
  static boolean mounted(java.nio.file.Path mnt) throws IOException {
    String want = mnt.toAbsolutePath().toString();
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].equals(want)) {
        return true;
      }
    }
    return false;
  }

  /** Runs a bash script in {@code dir}; fails the test unless it exits 0; returns its output. */
  static String sh(java.nio.file.Path dir, String script) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    org.junit.jupiter.api.Assertions.assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS),
        "timeout: " + script);
    org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), () -> "command failed: " + script + "\n" + out);
    return out;
  }

  /** A file's text, or a note that it cannot be read (for failure messages). */
  static String read(java.nio.file.Path p) {
    try {
      return java.nio.file.Files.readString(p);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}

package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.ObjectInfo;
import org.streamfs.testing.PouchDbServer;

/**
 * Two real mounts of one CouchDB database (pouchdb-server), each with a state dir of its own (two
 * machines): one reads what the other wrote, verified against the manifest in the document; both writing
 * x.txt keeps both writes (the file and its conflict copy); a chunk attachment replaced through CouchDB's
 * API while the document's checksums stay as they were is EIO through a mount with a fresh state dir, and
 * {@code streamfs scrub} names the object and exits 5.
 */
class CouchDbTwoMountsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final class Daemon implements AutoCloseable {
    final Path mnt;
    final Process process;
    final Path log;

    Daemon(Path root, String name, String jar, String storeUri) throws Exception {
      mnt = Files.createDirectories(root.resolve(name + "-mnt"));
      Path state = Files.createDirectories(root.resolve(name + "-state"));
      log = root.resolve(name + ".log");
      process = new ProcessBuilder("java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar, "mount", "--foreground",
          "--store", storeUri, "--state-dir", state.toString(), "--chunk-size", "1M", mnt.toString())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      long deadline = System.currentTimeMillis() + 60_000;
      while (!CouchDbTestSupport.mounted(mnt)) {
        assertTrue(process.isAlive(), () -> "daemon exited: " + CouchDbTestSupport.read(log));
        assertTrue(System.currentTimeMillis() < deadline, () -> "mount did not appear: " + CouchDbTestSupport.read(log));
        Thread.sleep(100);
      }
    }

    @Override
    public void close() throws Exception {
      if (CouchDbTestSupport.mounted(mnt)) {
        new ProcessBuilder("fusermount3", "-u", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
        if (CouchDbTestSupport.mounted(mnt)) {
          new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
        }
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void twoMountsOfOneDatabaseVerifyEachOtherAndNeverLoseAWrite(@TempDir Path root) throws Exception {
    String jar = Path.of(System.getProperty("streamfs.jar", "target/streamfs-all.jar")).toAbsolutePath().toString();
    assumeTrue(Files.isRegularFile(Path.of(jar)), "shaded jar missing: " + jar);
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse missing");
    try (PouchDbServer server = CouchDbTestSupport.startServer()) {
      CouchDbStore store = CouchDbTestSupport.newStore(server, null);
      String uri = server.storeUri(store.http().db()).toString();
      try (Daemon a = new Daemon(root, "a", jar, uri); Daemon b = new Daemon(root, "b", jar, uri)) {
        CouchDbTestSupport.sh(root, "head -c 3145733 /dev/urandom > src && cp src a-mnt/f.bin");
        CouchDbTestSupport.sh(root, "java -Xmx128m -jar " + jar + " sync " + a.mnt + " >/dev/null");
        CouchDbTestSupport.sh(root, "for i in $(seq 1 100); do test -e b-mnt/f.bin && break; sleep 0.1; done; cmp src b-mnt/f.bin");
        assertEquals("yes", CouchDbTestSupport.sh(root, "getfattr -n user.streamfs.verified --only-values b-mnt/f.bin").strip());
        // both open x.txt, both write, both close: neither write is lost
        CouchDbTestSupport.sh(root, "echo base > a-mnt/x.txt && java -Xmx128m -jar " + jar + " sync " + a.mnt + " >/dev/null"
            + " && for i in $(seq 1 100); do test -e b-mnt/x.txt && break; sleep 0.1; done; cmp a-mnt/x.txt b-mnt/x.txt");
        CouchDbTestSupport.sh(root, "exec 3>a-mnt/x.txt 4>b-mnt/x.txt; echo 'from A' >&3; echo 'from B' >&4; exec 3>&- 4>&-");
        CouchDbTestSupport.sh(root, "java -Xmx128m -jar " + jar + " sync " + a.mnt + " >/dev/null");
        CouchDbTestSupport.sh(root, "java -Xmx128m -jar " + jar + " sync " + b.mnt + " >/dev/null");
      }
      List<String> versions = new ArrayList<>();
      for (ObjectInfo o : store.list("", null).objects()) {
        if (o.key().startsWith("x.")) {
          versions.add(new String(CouchDbTestSupport.readAll(store, o.key(), 0, -1, null), StandardCharsets.UTF_8));
        }
      }
      versions.sort(null);
      assertEquals(List.of("from A\n", "from B\n"), versions, "x.txt and its conflict copy hold both writes");

      // chunk 1 of f.bin replaced through CouchDB's API (same length), the document's checksums left as they were
      String docUrl = server.url() + store.http().db() + "/" + DocIds.encode("f.bin");
      JsonNode doc = JSON.readTree(CouchDbTestSupport.raw("GET", docUrl, null, null).body());
      String chunk = DocIds.chunkName(1);
      int len = doc.path("_attachments").path(chunk).path("length").asInt();
      assertTrue(len > 0, "no attachment " + chunk + " in " + doc);
      HttpResponse<String> put = CouchDbTestSupport.raw("PUT", docUrl + "/" + chunk + "?rev="
          + doc.path("_rev").asText(), "application/octet-stream", CouchDbTestSupport.random(len, 9));
      assertTrue(put.statusCode() / 100 == 2, put.body());
      try (Daemon c = new Daemon(root, "c", jar, uri)) {
        Process cat = new ProcessBuilder("cat", c.mnt.resolve("f.bin").toString()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(cat.waitFor(120, TimeUnit.SECONDS));
        assertTrue(cat.exitValue() != 0, "a replaced chunk was served without an error");
        assertTrue(CouchDbTestSupport.read(c.log).contains("chunk 1 of f.bin"), "the log names the object and the chunk: "
            + CouchDbTestSupport.read(c.log));
      }
      Process scrub = new ProcessBuilder("java", "-Xmx128m", "-jar", jar, "scrub", "--store", uri, "--state-dir",
          root.resolve("scrub-state").toString()).redirectErrorStream(true).start();
      String out = new String(scrub.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(scrub.waitFor(120, TimeUnit.SECONDS));
      assertEquals(5, scrub.exitValue(), out);
      assertTrue(out.contains("f.bin"), out);
    }
  }
}

package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.StoreException;
import org.streamfs.testing.PouchDbServer;

/**
 * A real FUSE mount of a CouchDB database (the daemon in a child JVM, pouchdb-server behind it, 1 MiB
 * chunks): files copied in with cp come out byte-identical through the mount and through the store, mkdir,
 * mv and rm work, and a document another client wrote shows as a folder of its attachments. Skipped when the
 * shaded jar, /dev/fuse or libfuse2 is missing.
 */
class CouchDbMountIT {

  @Test
  void cpCmpMvRmAndForeignDocumentsThroughTheMount(@TempDir Path root) throws Exception {
    String jar = Path.of(System.getProperty("streamfs.jar", "target/streamfs-all.jar")).toAbsolutePath().toString();
    assumeTrue(Files.isRegularFile(Path.of(jar)), "shaded jar missing: " + jar);
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse missing");
    try (PouchDbServer server = CouchDbTestSupport.startServer()) {
      CouchDbStore store = CouchDbTestSupport.newStore(server, null);
      byte[] pdf = CouchDbTestSupport.random(1_500_000, 51);
      String json = "{\"_attachments\":{\"a.pdf\":{\"content_type\":\"application/pdf\",\"data\":\""
          + Base64.getEncoder().encodeToString(pdf) + "\"}}}";
      assertEquals(201, CouchDbTestSupport.raw("PUT", server.url() + store.http().db() + "/report",
          "application/json", json.getBytes(StandardCharsets.UTF_8)).statusCode());
      Files.write(root.resolve("a.pdf"), pdf);
      Path mnt = Files.createDirectory(root.resolve("mnt"));
      Path state = root.resolve("state");
      List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar, "mount",
          "--foreground", "--store", server.storeUri(store.http().db()).toString(), "--state-dir",
          state.toString(), "--chunk-size", "1M", mnt.toString()));
      Files.createDirectories(state);
      Path log = root.resolve("daemon.log");
      Process daemon = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      try {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!CouchDbTestSupport.mounted(mnt)) {
          assertTrue(daemon.isAlive(), () -> "daemon exited: " + CouchDbTestSupport.read(log));
          assertTrue(System.currentTimeMillis() < deadline, () -> "mount did not appear: " + CouchDbTestSupport.read(log));
          Thread.sleep(100);
        }
        CouchDbTestSupport.sh(root, "head -c 3145733 /dev/urandom > src && mkdir mnt/dir && cp src mnt/dir/f && cmp src mnt/dir/f");
        CouchDbTestSupport.sh(root, "head -c 10 /dev/urandom > small && cp small mnt/small && cmp small mnt/small");
        CouchDbTestSupport.sh(root, "cmp a.pdf mnt/report/a.pdf && ls mnt | sort | tr '\\n' ' ' > listing");
        assertEquals("dir report small ", CouchDbTestSupport.read(root.resolve("listing")));
        CouchDbTestSupport.sh(root, "mv mnt/small mnt/dir/small2 && test ! -e mnt/small && cmp small mnt/dir/small2");
        CouchDbTestSupport.sh(root, "java -Xmx128m -jar " + jar + " sync " + mnt + " >/dev/null");
        assertArrayEquals(Files.readAllBytes(root.resolve("src")),
            CouchDbTestSupport.readAll(store, "dir/f", 0, -1, null), "the store holds the file, byte-identical");
        assertArrayEquals(Files.readAllBytes(root.resolve("small")),
            CouchDbTestSupport.readAll(store, "dir/small2", 0, -1, null));
        CouchDbTestSupport.sh(root, "rm mnt/dir/f && test ! -e mnt/dir/f");
        CouchDbTestSupport.sh(root, "java -Xmx128m -jar " + jar + " sync " + mnt + " >/dev/null");
        assertEquals(StoreException.Kind.NOT_FOUND,
            assertThrows(StoreException.class, () -> store.stat("dir/f")).kind());
      } finally {
        if (CouchDbTestSupport.mounted(mnt)) {
          new ProcessBuilder("fusermount3", "-u", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
          if (CouchDbTestSupport.mounted(mnt)) {
            new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
          }
        }
        if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
          daemon.destroyForcibly();
          daemon.waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }
}

package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.store.couchdb.CouchDbTestSupport.MIB;
import static org.streamfs.store.couchdb.CouchDbTestSupport.random;
import static org.streamfs.store.couchdb.CouchDbTestSupport.readAll;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.testing.PouchDbServer;

/**
 * Faults against a real pouchdb-server: a restart in the middle of an upload, an unreachable server, a
 * missing database, wrong or badly kept credentials, a concurrent writer between begin and complete, and
 * 409s on the staging document from another process.
 */
class CouchDbFaultsIT {
  private static PouchDbServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = CouchDbTestSupport.startServer();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void serverRestartedMidUploadThenUploadCompletesByteIdentical() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    byte[] data = random(4 * MIB + 999, 11);
    String id = store.beginUpload("big/file.bin", Map.of("mtime", "1.0"));
    List<PartReceipt> done = new ArrayList<>();
    for (int n = 1; n <= 2; n++) {
      ByteBuffer part = ByteBuffer.wrap(data, (n - 1) * 2 * MIB, 2 * MIB).slice();
      done.add(store.uploadPart("big/file.bin", id, n, part, Sha256.digest(part)));
    }
    server.kill();
    ByteBuffer third = ByteBuffer.wrap(data, 4 * MIB, 999).slice();
    StoreException down = assertThrows(StoreException.class,
        () -> store.uploadPart("big/file.bin", id, 3, third, Sha256.digest(third)));
    assertEquals(Kind.TRANSIENT, down.kind());
    assertTrue(down.getMessage().contains("connection refused"), down.getMessage());
    server.restart();
    // Resume: what the server holds is the truth.
    List<PartReceipt> held = store.listParts("big/file.bin", id);
    assertEquals(done, held);
    done.add(store.uploadPart("big/file.bin", id, 3, third, Sha256.digest(third)));
    store.completeUpload("big/file.bin", id, done);
    assertArrayEquals(data, readAll(store, "big/file.bin", 0, -1, null));
    server.restart();
    assertArrayEquals(data, readAll(store, "big/file.bin", 0, -1, null), "durable across a restart");
  }

  @Test
  void unreachableServerIsOneClearError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StoreException e = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(
        URI.create("couchdb://127.0.0.1:" + port + "/db"), true, Map.of(), null));
    assertEquals(Kind.TRANSIENT, e.kind());
    assertTrue(e.getMessage().contains("cannot reach CouchDB at couchdb://127.0.0.1:" + port + "/db"),
        e.getMessage());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
  }

  @Test
  void missingDatabaseIsAClearErrorUnlessCreated() throws Exception {
    String db = CouchDbTestSupport.newDbName();
    URI uri = server.storeUri(db);
    StoreException e = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(uri, false, Map.of(),
        null));
    assertEquals(Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().contains("database " + db + " does not exist"), e.getMessage());
    assertTrue(e.getMessage().contains("--create"), e.getMessage());
    CouchDbStores.fromUri(uri, true, Map.of(), null).checkAccess();
    CouchDbStore again = CouchDbStores.fromUri(uri, false, Map.of(), null);
    again.checkAccess();
    assertEquals("couchdb://127.0.0.1:" + server.port() + "/" + db, again.describe());
  }

  @Test
  void badUrisAreRefusedWithoutEchoingSecrets() {
    StoreException e = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(
        URI.create("couchdb://admin:s3cret@127.0.0.1:5984/db"), false, Map.of(), null));
    assertTrue(e.getMessage().contains("credentials in the store URI are refused"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret"));
    e = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(
        URI.create("couchdb://127.0.0.1:5984/Bad_Name"), false, Map.of(), null));
    assertTrue(e.getMessage().contains("is not a CouchDB database name"), e.getMessage());
  }

  @Test
  void credentialsFromEnvironmentOrPrivateFileAndWrongOnesGive401(@TempDir Path tmp) throws Exception {
    try (PouchDbServer secured = PouchDbServer.start()) {
      assertEquals(200, CouchDbTestSupport.raw("PUT", secured.url() + "_config/admins/admin",
          "application/json", "\"right-pw\"".getBytes()).statusCode());
      URI uri = secured.storeUri("secured");
      StoreException wrong = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(uri, true,
          Map.of("STREAMFS_COUCHDB_USER", "admin", "STREAMFS_COUCHDB_PASSWORD", "wrong-pw"), null));
      assertEquals(Kind.ACCESS_DENIED, wrong.kind());
      assertTrue(wrong.getMessage().contains("401") && wrong.getMessage().contains("rejected the credentials"),
          wrong.getMessage());
      assertFalse(wrong.getMessage().contains("wrong-pw"));
      CouchDbStore ok = CouchDbStores.fromUri(uri, true,
          Map.of("STREAMFS_COUCHDB_USER", "admin", "STREAMFS_COUCHDB_PASSWORD", "right-pw"), null);
      ok.put("k", new byte[] {1, 2}, Map.of());

      Path file = tmp.resolve("couch.cred");
      Files.writeString(file, "admin:right-pw\n");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      Map<String, String> env = Map.of("STREAMFS_COUCHDB_CREDENTIALS", file.toString());
      StoreException loose = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(uri, false, env,
          null));
      assertTrue(loose.getMessage().contains("chmod 600"), loose.getMessage());
      assertFalse(loose.getMessage().contains("right-pw"));
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      CouchDbStore fromFile = CouchDbStores.fromUri(uri, false, env, null);
      assertArrayEquals(new byte[] {1, 2}, readAll(fromFile, "k", 0, -1, null));
      Files.writeString(file, "admin:bad-pw\n");
      fromFile.checkAccess(); // the credentials were read once, at open
      StoreException bad = assertThrows(StoreException.class, () -> CouchDbStores.fromUri(uri, false, env,
          null));
      assertEquals(Kind.ACCESS_DENIED, bad.kind());
      assertFalse(bad.getMessage().contains("bad-pw"));
    }
  }

  @Test
  void concurrentWriterBetweenBeginAndCompleteIsReportedNotOverwritten() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    CouchDbStore other = CouchDbStores.fromUri(server.storeUri(store.http().db()), false, Map.of(), null);
    store.put("shared.txt", "v1".getBytes(), Map.of());
    String id = store.beginUpload("shared.txt", Map.of());
    List<PartReceipt> parts = CouchDbTestSupport.uploadParts(store, "shared.txt", id, random(MIB, 12), MIB);
    other.put("shared.txt", "from elsewhere".getBytes(), Map.of());
    StoreException e = assertThrows(StoreException.class, () -> store.completeUpload("shared.txt", id, parts));
    assertEquals(Kind.CONFLICT, e.kind());
    assertEquals("shared.txt", e.key());
    assertTrue(e.getMessage().contains("changed by another writer"), e.getMessage());
    assertArrayEquals("from elsewhere".getBytes(), readAll(store, "shared.txt", 0, -1, null));
    assertEquals(1, store.listUploads("shared").size(), "the upload is kept for the caller to decide");
    store.abortUpload("shared.txt", id);

    // Same when the key did not exist at begin and someone created it meanwhile.
    String id2 = store.beginUpload("fresh.txt", Map.of());
    List<PartReceipt> parts2 = CouchDbTestSupport.uploadParts(store, "fresh.txt", id2, random(100, 13), MIB);
    other.put("fresh.txt", "first".getBytes(), Map.of());
    assertEquals(Kind.CONFLICT, assertThrows(StoreException.class,
        () -> store.completeUpload("fresh.txt", id2, parts2)).kind());
    assertArrayEquals("first".getBytes(), readAll(store, "fresh.txt", 0, -1, null));
  }

  @Test
  void partsFromTwoProcessesConflictOnTheStagingDocumentAndAreRetried() throws Exception {
    CouchDbStore a = CouchDbTestSupport.newStore(server, null);
    CouchDbStore b = CouchDbStores.fromUri(server.storeUri(a.http().db()), false, Map.of(), null);
    byte[] data = random(12 * 256 * 1024, 14);
    String id = a.beginUpload("par", Map.of());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<PartReceipt>> futures = new ArrayList<>();
      for (int n = 1; n <= 12; n++) {
        int part = n;
        CouchDbStore via = n % 2 == 0 ? a : b;
        futures.add(pool.submit(() -> {
          ByteBuffer buf = ByteBuffer.wrap(data, (part - 1) * 256 * 1024, 256 * 1024).slice();
          return via.uploadPart("par", id, part, buf, Sha256.digest(buf));
        }));
      }
      List<PartReceipt> receipts = new ArrayList<>();
      for (Future<PartReceipt> f : futures) {
        receipts.add(f.get());
      }
      assertEquals(receipts, a.listParts("par", id));
      a.completeUpload("par", id, receipts);
      assertArrayEquals(data, readAll(b, "par", 0, -1, null));
    } finally {
      pool.shutdownNow();
    }
  }
}

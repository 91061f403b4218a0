package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.store.couchdb.CouchDbTestSupport.MIB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.OperationStatus;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.middleware.RetryPolicy;
import org.streamfs.store.middleware.RetryingStore;
import org.streamfs.testing.PouchDbServer;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * The engine over CouchDB: {@link StreamingManager#uploadFile} to a {@link CouchDbStore} wrapped in
 * {@link RetryingStore} while pouchdb-server is killed (SIGKILL) and restarted in the middle of the upload;
 * the retries carry it through, and the file read back through the engine is byte-identical, with no
 * staging document left behind.
 */
class CouchDbStreamingIT {
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
  void uploadSurvivesAServerCrashAndRestartThenDownloadsByteIdentical(@TempDir Path tmp) throws Exception {
    byte[] content = CouchDbTestSupport.random(16 * MIB + 4321, 41);
    Path src = tmp.resolve("big.bin");
    Files.write(src, content);
    StreamingConfig config = StreamingConfig.builder().chunkSizeBytes(2L * MIB).parallelChunks(2)
        .maxRetries(2).retryDelay(Duration.ofMillis(300)).exponentialBackoff(true)
        .maxRetryDelay(Duration.ofSeconds(2)).timeout(Duration.ofSeconds(60)).build();
    CountDownLatch someProgress = new CountDownLatch(1);
    AtomicReference<Throwable> chaosFailure = new AtomicReference<>();
    Thread chaos = new Thread(() -> {
      try {
        if (someProgress.await(120, TimeUnit.SECONDS)) {
          server.kill();
          Thread.sleep(1000);
          server.restart();
        }
      } catch (Throwable t) {
        chaosFailure.set(t);
      }
    }, "pouchdb-chaos");
    AtomicInteger storeRetries = new AtomicInteger();
    RetryPolicy policy = new RetryPolicy(30, Duration.ofMillis(200), Duration.ofSeconds(2), true, 0.2);
    CouchDbStore couch = CouchDbTestSupport.newStore(server, null);
    try (Catalog catalog = Catalog.open(tmp.resolve("catalog"));
        RetryingStore store = new RetryingStore(couch, policy, d -> {
          storeRetries.incrementAndGet();
          Thread.sleep(d.toMillis());
        }, Math::random);
        StreamingManager manager = new StreamingManager(store, catalog, config)) {
      chaos.start();
      long pidBefore = server.pid();
      String op = manager.uploadFile(src, "dir/big.bin", (percent, operation) -> {
        if (percent > 20) {
          someProgress.countDown();
        }
      }, Map.of("mode", "33188"));
      chaos.join(120_000);
      if (chaosFailure.get() != null) {
        throw new AssertionError("killing/restarting pouchdb-server failed", chaosFailure.get());
      }
      assertNotEquals(pidBefore, server.pid(), "the server was restarted during the upload");
      assertEquals(OperationStatus.COMPLETED, manager.getOperation(op).status());
      assertTrue(storeRetries.get() > 0, "the crash hit the upload (RetryingStore retried calls)");
      ObjectInfo info = store.stat("dir/big.bin");
      assertEquals(content.length, info.size());
      assertEquals("33188", info.metadata().get("mode"));
      assertArrayEquals(content, CouchDbTestSupport.readAll(store, "dir/big.bin", 0, -1, null));
      Path back = tmp.resolve("back.bin");
      manager.downloadFile("dir/big.bin", back, null);
      assertArrayEquals(content, Files.readAllBytes(back));
      assertTrue(store.listUploads("").isEmpty(), "no upload left behind");
    }
  }
}

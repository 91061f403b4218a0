package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.streamfs.testing.S3ProxyServer;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * The engine over S3: {@link StreamingManager#uploadFile} to an {@link S3Store} wrapped in {@link RetryingStore}
 * on S3Proxy while the server is killed (SIGKILL) and restarted in the middle of the upload; the store's
 * retries (TRANSIENT: connection refused, broken pipe) carry it through, and the
 * object read back through the store and through {@link StreamingManager#downloadFile} is byte-identical.
 */
class S3StreamingIT {
  private static final int MIB = 1 << 20;
  private static S3ProxyServer server;
  private static String bucket;

  @BeforeAll
  static void start() throws Exception {
    S3ProxyServer.useTestCredentials();
    server = S3ProxyServer.start();
    bucket = S3TestSupport.bucketName("engine");
    S3TestSupport.createBucket(server.endpoint(), bucket);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void uploadSurvivesAServerCrashAndRestartThenDownloadsByteIdentical(@TempDir Path tmp) throws Exception {
    byte[] content = S3TestSupport.random(30 * MIB + 12_345, 31);
    Path src = tmp.resolve("big.bin");
    Files.write(src, content);
    StreamingConfig config = StreamingConfig.builder().chunkSizeBytes(5L * MIB).parallelChunks(2)
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
    }, "s3proxy-chaos");
    AtomicInteger storeRetries = new AtomicInteger();
    RetryPolicy policy = new RetryPolicy(15, Duration.ofMillis(200), Duration.ofSeconds(2), true, 0.2);
    try (Catalog catalog = Catalog.open(tmp.resolve("catalog"));
        S3Store s3 = S3Store.open(server.storeUri(bucket, "engine/"));
        RetryingStore store = new RetryingStore(s3, policy, d -> {
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
        throw new AssertionError("killing/restarting S3Proxy failed", chaosFailure.get());
      }
      assertTrue(pidBefore != server.pid(), "the server was restarted during the upload");
      assertEquals(OperationStatus.COMPLETED, manager.getOperation(op).status());
      assertTrue(storeRetries.get() > 0, "the crash hit the upload (RetryingStore retried calls)");
      ObjectInfo info = store.stat("dir/big.bin");
      assertEquals(content.length, info.size());
      assertArrayEquals(content, S3TestSupport.readAll(store.read("dir/big.bin", 0, -1, null)));
      Path back = tmp.resolve("back.bin");
      manager.downloadFile("dir/big.bin", back, null);
      assertArrayEquals(content, Files.readAllBytes(back));
      assertTrue(store.listUploads("").isEmpty(), "no upload left behind");
    }
  }
}

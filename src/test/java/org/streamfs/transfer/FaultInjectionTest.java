package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.SagaRollbackRequiredException;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;
import org.streamfs.store.middleware.StoreOp;
import org.streamfs.testing.FaultyStore;

/**
 * Faults injected by wrapping the real local store: failed parts are retried, permanent failures and
 * exhausted retries roll back (no parts left, previous object intact), a slow call times out and is
 * retried, corrupted bytes in either direction are caught by the SHA-256 checks.
 */
class FaultInjectionTest {
  static final int CHUNK = 4096;
  @TempDir
  Path tmp;
  LocalStore local;
  FaultyStore store;
  Catalog catalog;
  Path src;
  String srcSha;

  @BeforeEach
  void open() throws IOException {
    local = LocalStore.open(tmp.resolve("store"), true);
    store = new FaultyStore(local);
    catalog = Catalog.open(tmp.resolve("state"));
    src = EngineFixture.randomFile(tmp.resolve("src.bin"), 10 * CHUNK + 123, 42);
    srcSha = EngineFixture.sha(src);
  }

  @AfterEach
  void close() {
    catalog.close();
    local.close();
  }

  StreamingManager manager(Duration timeout) {
    return EngineFixture.manager(store, catalog,
        EngineFixture.fast().chunkSizeBytes(CHUNK).maxRetries(3).timeout(timeout).build());
  }

  String previousVersion() throws IOException {
    Path old = EngineFixture.randomFile(tmp.resolve("old.bin"), 1000, 1);
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      m.uploadFile(old, "doc.bin", null, Map.of());
    }
    return EngineFixture.sha(local, "doc.bin");
  }

  @Test
  void transientPartFailuresAreRetriedAndCounted() throws IOException {
    store.failTimes(FaultyStore.part(3), 2, Kind.TRANSIENT);
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      String id = m.uploadFile(src, "doc.bin", null, Map.of());
      StreamingOperation op = m.getOperation(id);
      assertEquals(OperationStatus.COMPLETED, op.status());
      assertEquals(2, op.retryCount());
    }
    assertEquals(srcSha, EngineFixture.sha(local, "doc.bin"));
    assertEquals(2, store.injectedFailures());
  }

  @Test
  void permanentFailureRollsBackAndKeepsThePreviousObject() throws IOException {
    String before = previousVersion();
    store.failAlways(FaultyStore.part(4), Kind.PERMANENT);
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      SagaRollbackRequiredException e = assertThrows(SagaRollbackRequiredException.class,
          () -> m.uploadFile(src, "doc.bin", null, Map.of()));
      assertTrue(e.reason().contains("PERMANENT"), e.reason());
      assertEquals(0, e.retryCount(), "permanent faults are not retried");
      StreamingOperation op = m.listOperations().stream().filter(o -> o.key().equals("doc.bin")
          && o.status() != OperationStatus.COMPLETED).findFirst().orElseThrow();
      assertEquals(OperationStatus.FAILED, op.status());
      assertEquals(null, op.uploadId());
    }
    assertTrue(local.listUploads("").isEmpty(), "no parts left on the store");
    assertEquals(before, EngineFixture.sha(local, "doc.bin"), "previous version untouched");
    assertTrue(Files.exists(src));
  }

  @Test
  void exhaustedRetriesRollBackWithTheRetryCount() throws IOException {
    store.failAlways(FaultyStore.part(2), Kind.TRANSIENT);
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      SagaRollbackRequiredException e = assertThrows(SagaRollbackRequiredException.class,
          () -> m.uploadFile(src, "doc.bin", null, Map.of()));
      assertEquals(3, e.retryCount());
    }
    assertTrue(local.listUploads("").isEmpty());
    assertFalse(Files.exists(tmp.resolve("store/doc.bin")), "no partial object");
  }

  @Test
  void aCallSlowerThanTheTimeoutIsAbandonedAndRetried() throws IOException {
    store.delayTimes(FaultyStore.part(2), 1, Duration.ofSeconds(3));
    long t0 = System.nanoTime();
    try (StreamingManager m = manager(Duration.ofMillis(300))) {
      String id = m.uploadFile(src, "doc.bin", null, Map.of());
      assertEquals(1, m.getOperation(id).retryCount(), "the timed-out call counts as one retry");
    }
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_900, "did not wait for the slow call");
    assertEquals(srcSha, EngineFixture.sha(local, "doc.bin"));
  }

  @Test
  void aByteFlippedOnTheWayUpIsRejectedByTheStoreAndResent() throws IOException {
    store.corruptUploads(FaultyStore.part(5), 1);
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      String id = m.uploadFile(src, "doc.bin", null, Map.of());
      assertEquals(1, m.getOperation(id).retryCount());
    }
    assertEquals(srcSha, EngineFixture.sha(local, "doc.bin"));
  }

  @Test
  void aByteFlippedOnTheWayDownIsFetchedAgain() throws IOException {
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      m.uploadFile(src, "doc.bin", null, Map.of());
      store.corruptReads(FaultyStore.on(StoreOp.READ), 1);
      Path out = tmp.resolve("out.bin");
      m.downloadFile("doc.bin", out, null);
      assertEquals(srcSha, EngineFixture.sha(out));
    }
  }

  @Test
  void persistentCorruptionIsAChecksumErrorNeverWrongBytes() throws IOException {
    try (StreamingManager m = manager(Duration.ofSeconds(30))) {
      m.uploadFile(src, "doc.bin", null, Map.of());
      store.corruptReads(FaultyStore.on(StoreOp.READ), 1000);
      Path out = tmp.resolve("out.bin");
      ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
          () -> m.downloadFile("doc.bin", out, null));
      assertEquals("doc.bin", e.object());
      assertTrue(e.chunkIndex() >= 0);
      assertFalse(Files.exists(out), "nothing renamed into place");
    }
  }

  @Test
  void aCompensationThatFailedIsRunOnceTheOperationSucceeds() throws IOException {
    store.failAfter(FaultyStore.on(StoreOp.UPLOAD_PART), 6, Kind.PERMANENT);
    try (StreamingManager m = EngineFixture.manager(store, catalog,
        EngineFixture.fast().chunkSizeBytes(CHUNK).parallelChunks(1).threadPoolSize(1).maxRetries(0).build())) {
      String id = m.prepareUpload(src, "doc.bin", Map.of());
      // An interrupted upload (not rolled back) is what a killed process leaves: emulate it by making the
      // failure path unable to abort, then look at what the store holds.
      store.failAlways(FaultyStore.on(StoreOp.ABORT_UPLOAD), Kind.TRANSIENT);
      assertThrows(SagaRollbackRequiredException.class, () -> m.resumeUpload(id, null));
      assertEquals(1, local.listUploads("").size(), "the upload is still on the store (abort failed)");
      store.clearFaults();
      long sentBefore = store.bytesUploaded();
      assertTrue(m.resumeUpload(id, null));
      long resent = store.bytesUploaded() - sentBefore;
      assertEquals(10L * CHUNK + 123, resent, "after a rollback that could not abort, the upload is begun anew");
      assertTrue(local.listUploads("").isEmpty(), "the upload the failed rollback left behind is aborted now");
    }
    assertEquals(srcSha, EngineFixture.sha(local, "doc.bin"));
  }

  @Test
  void anErrorInAWorkerFailsTheUploadInsteadOfCompletingWithoutThatChunk() throws IOException {
    org.streamfs.store.ObjectStore dying = new org.streamfs.store.middleware.StoreDecorator(local) {
      @Override
      protected <T> T around(StoreOp op, String key, org.streamfs.store.middleware.StoreCall<T> call)
          throws org.streamfs.store.StoreException {
        return call.call();
      }

      @Override
      public org.streamfs.store.PartReceipt uploadPart(String key, String uploadId, int part,
          java.nio.ByteBuffer data, byte[] sha) throws org.streamfs.store.StoreException {
        if (part == 3) {
          throw new OutOfMemoryError("injected: Java heap space");
        }
        return super.uploadPart(key, uploadId, part, data, sha);
      }
    };
    try (StreamingManager m = EngineFixture.manager(dying, catalog,
        EngineFixture.fast().chunkSizeBytes(CHUNK).build())) {
      SagaRollbackRequiredException e = assertThrows(SagaRollbackRequiredException.class,
          () -> m.uploadFile(src, "doc.bin", null, Map.of()));
      assertTrue(e.reason().contains("heap space"), e.reason());
    }
    assertFalse(Files.exists(tmp.resolve("store/doc.bin")), "never completed without chunk 2");
    assertTrue(local.listUploads("").isEmpty());
  }
}

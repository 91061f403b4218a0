package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.StoreException;
import org.streamfs.store.local.LocalStore;
import org.streamfs.store.middleware.StoreOp;
import org.streamfs.testing.FaultyStore;

/**
 * The mount's periodic upkeep ({@link StreamingManager#maintain}): an abort the store refused at the
 * rollback is done at the next run once the store answers, and ended operations older than the retention
 * period go with the staged bytes they kept; younger ones and running ones stay.
 */
class UpkeepTest {
  static final int CHUNK = 4096;
  @TempDir
  Path tmp;
  LocalStore local;
  FaultyStore store;
  Catalog catalog;
  StreamingManager m;

  @BeforeEach
  void open() throws IOException {
    local = LocalStore.open(tmp.resolve("store"), true);
    store = new FaultyStore(local);
    catalog = Catalog.open(tmp.resolve("state"));
    m = EngineFixture.manager(store, catalog, EngineFixture.fast().chunkSizeBytes(CHUNK).maxRetries(0).build());
  }

  @AfterEach
  void close() {
    m.close();
    catalog.close();
    local.close();
  }

  /** A staged upload with two chunks sent, then rolled back while the store refuses aborts. */
  private StreamingOperation failedWithAnAbortOwed(String key, Path staging) throws Exception {
    StagedUpload u = m.openStagedUpload(key, staging, null, Map.of());
    byte[] data = new byte[3 * CHUNK];
    new Random(1).nextBytes(data);
    Files.write(staging, data);
    for (int i = 0; i < 2; i++) {
      u.markDirty(i);
      u.chunkComplete(i);
    }
    long deadline = System.currentTimeMillis() + 5000;
    while (u.bytesUploaded() < 2L * CHUNK && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    store.failAlways(FaultyStore.on(StoreOp.ABORT_UPLOAD), StoreException.Kind.TRANSIENT);
    u.abort("the writer went away");
    StreamingOperation op = m.getOperation(u.operationId());
    assertEquals(OperationStatus.FAILED, op.status());
    assertEquals(1, local.listUploads("").size(), "the refused abort left the upload on the store");
    assertTrue(op.error().contains("compensations pending"), op.error());
    return op;
  }

  @Test
  void anAbortTheStoreRefusedIsDoneByTheNextUpkeep() throws Exception {
    Path staging = tmp.resolve("staged-a");
    StreamingOperation op = failedWithAnAbortOwed("a.bin", staging);
    StreamingManager.Upkeep still = m.maintain(7);
    assertEquals(0, still.compensated(), "the store still refuses: nothing done, nothing lost");
    assertEquals(1, local.listUploads("").size());
    store.clearFaults();
    StreamingManager.Upkeep u = m.maintain(7);
    assertEquals(1, u.compensated());
    assertEquals(0, u.removed(), "younger than the retention period");
    assertTrue(local.listUploads("").isEmpty(), "no orphan parts left");
    StreamingOperation after = m.getOperation(op.operationId());
    assertEquals(OperationStatus.FAILED, after.status());
    assertFalse(after.error().contains("compensations pending"), after.error());
    assertTrue(Files.exists(staging), "staged bytes kept for streamfs recover");
    assertEquals(0, m.maintain(7).compensated(), "done once");
  }

  @Test
  void endedOperationsOlderThanTheRetentionGoWithTheirStagedBytes() throws Exception {
    Path staging = tmp.resolve("staged-b");
    StreamingOperation failed = failedWithAnAbortOwed("b.bin", staging);
    store.clearFaults();
    StagedUpload running = m.openStagedUpload("c.bin", tmp.resolve("staged-c"), null, Map.of());
    Thread.sleep(20);
    StreamingManager.Upkeep u = m.maintain(0);
    assertEquals(1, u.removed());
    assertTrue(m.listOperations().stream().noneMatch(o -> o.operationId().equals(failed.operationId())));
    assertFalse(Files.exists(staging), "the retention period is over: staged bytes removed");
    assertTrue(local.listUploads("").isEmpty(), "its owed abort ran before the record went");
    assertTrue(m.getOperation(running.operationId()).status().isActive(), "a running upload is never removed");
  }
}

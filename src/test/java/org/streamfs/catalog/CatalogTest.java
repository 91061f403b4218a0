package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;

/** Round trips of every record type, chunk order, replacement, saga log and reopening. */
class CatalogTest {
  @TempDir
  Path tmp;
  Catalog catalog;

  @BeforeEach
  void open() throws Exception {
    catalog = Catalog.open(tmp.resolve("state"));
  }

  @AfterEach
  void close() {
    catalog.close();
  }

  @Test
  void operationRoundTripKeepsEveryField() throws Exception {
    StreamingOperation op = Records.operation("0123456789abcdef", 3)
        .withChecksum(Records.sha(42)).withStatus(OperationStatus.FAILED, "store said 503").withRetryCount(4);
    catalog.putOperation(op);
    assertEquals(op, catalog.getOperation(op.operationId()).orElseThrow());
    assertTrue(catalog.getOperation("fedcba9876543210").isEmpty());

    StreamingOperation sparse = new StreamingOperation("x", OperationKind.DOWNLOAD, null, null, 0, 1, 0, 0,
        OperationStatus.PENDING, null, null, null, null, null, null, 0);
    catalog.putOperation(sparse);
    assertEquals(sparse, catalog.getOperation("x").orElseThrow());

    StreamingOperation replaced = op.withStatus(OperationStatus.COMPLETED);
    catalog.putOperation(replaced);
    assertEquals(replaced, catalog.getOperation(op.operationId()).orElseThrow());
    assertEquals(List.of(replaced, sparse).size(), catalog.listOperations().operations().size());
  }

  @Test
  void chunkRecordsRoundTripAndCheckpointCommitsBoth() throws Exception {
    StreamingOperation op = Records.operation("a1", 4);
    List<ChunkMetadata> pending = Records.pendingChunks(op);
    catalog.putOperationWithChunks(op, pending);
    assertEquals(pending, catalog.chunks("a1"));

    ChunkMetadata confirmed = pending.get(2).withRetry().confirmed(Records.sha(2), "\"etag-2\"");
    StreamingOperation progressed = op.withChunksCompleted(1);
    catalog.checkpoint(progressed, confirmed);
    assertEquals(progressed, catalog.getOperation("a1").orElseThrow());
    assertEquals(confirmed, catalog.chunk("a1", 2).orElseThrow());
    assertEquals(pending.get(1), catalog.chunk("a1", 1).orElseThrow());
    assertTrue(catalog.chunk("a1", 4).isEmpty());
    assertEquals(4, catalog.chunks("a1").size());

    Catalog.OperationState state = catalog.operationWithChunks("a1").orElseThrow();
    assertEquals(progressed, state.operation());
    assertEquals(catalog.chunks("a1"), state.chunks());
    assertTrue(catalog.operationWithChunks("a2").isEmpty());
  }

  @Test
  void putOperationWithChunksReplacesAllChunkRecords() throws Exception {
    StreamingOperation op = Records.operation("r", 10);
    catalog.putOperationWithChunks(op, Records.pendingChunks(op));
    StreamingOperation smaller = op.withSize(3 * 1024L, 2048L);
    List<ChunkMetadata> two = List.of(ChunkMetadata.pending(0, 0, 2048), ChunkMetadata.pending(1, 2048, 1024));
    catalog.putOperationWithChunks(smaller, two);
    assertEquals(two, catalog.chunks("r"));
    assertEquals(smaller, catalog.getOperation("r").orElseThrow());
  }

  @Test
  void twentyThousandChunksComeBackInIndexOrder() throws Exception {
    StreamingOperation op = Records.operation("0000000000000big", 20_000);
    List<ChunkMetadata> chunks = Records.pendingChunks(op);
    List<ChunkMetadata> shuffled = new ArrayList<>(chunks);
    Collections.shuffle(shuffled, new Random(7));
    catalog.putOperationWithChunks(op, shuffled);
    // neighbours whose ids share a prefix with it must not leak into its scan, nor it into theirs
    StreamingOperation shorter = Records.operation("0000000000000bi", 2);
    StreamingOperation longer = Records.operation("0000000000000big0", 3);
    catalog.putOperationWithChunks(shorter, Records.pendingChunks(shorter));
    catalog.putOperationWithChunks(longer, Records.pendingChunks(longer));

    assertEquals(chunks, catalog.chunks(op.operationId()));
    assertEquals(2, catalog.chunks(shorter.operationId()).size());
    assertEquals(3, catalog.chunks(longer.operationId()).size());
  }

  @Test
  void sparseIndexesAcrossByteBoundariesScanInNumericOrder() throws Exception {
    int[] indexes = {0, 1, 127, 128, 255, 256, 257, 32767, 32768, 65535, 65536, 65537, 1 << 23, 1 << 24,
        Integer.MAX_VALUE - 1, Integer.MAX_VALUE};
    List<Integer> order = new ArrayList<>();
    for (int i : indexes) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(3));
    StreamingOperation op = Records.operation("sparse", indexes.length);
    for (int i : order) {
      catalog.checkpoint(op, ChunkMetadata.pending(i, (long) i * 1024, 1024).confirmed(Records.sha(i), "e"));
    }
    List<ChunkMetadata> back = catalog.chunks("sparse");
    assertEquals(indexes.length, back.size());
    for (int i = 0; i < indexes.length; i++) {
      assertEquals(indexes[i], back.get(i).chunkIndex());
      assertEquals(Records.sha(indexes[i]), back.get(i).checksum());
    }
  }

  @Test
  void sagaStepsGetIncreasingSequencesAndCanBeRemoved() throws Exception {
    SagaStep abort = catalog.addSagaStep(new SagaStep("op1", 0, SagaStep.Action.ABORT_UPLOAD, "dir/key",
        "upload-1", null, null));
    SagaStep partial = catalog.addSagaStep(new SagaStep("op1", 0, SagaStep.Action.DELETE_LOCAL_PARTIAL, null,
        null, "/tmp/x.partial", Instant.parse("2026-01-02T03:04:05Z")));
    SagaStep other = catalog.addSagaStep(new SagaStep("op2", 0, SagaStep.Action.ABORT_UPLOAD, "k", "u", null,
        null));
    assertTrue(abort.sequence() > 0);
    assertTrue(partial.sequence() > abort.sequence());
    assertTrue(other.sequence() > partial.sequence());
    assertNotNull(abort.recordedAt());
    assertEquals(Instant.parse("2026-01-02T03:04:05Z"), partial.recordedAt());

    assertEquals(List.of(abort, partial), catalog.sagaSteps("op1"));
    assertEquals(List.of(other), catalog.sagaSteps("op2"));
    catalog.removeSagaStep(abort);
    assertEquals(List.of(partial), catalog.sagaSteps("op1"));
    SagaStep later = catalog.addSagaStep(new SagaStep("op1", 0, SagaStep.Action.ABORT_UPLOAD, "k2", "u2",
        null, null));
    assertTrue(later.sequence() > other.sequence(), "sequences are never reused");
    assertEquals(List.of(partial, later), catalog.sagaSteps("op1"));
  }

  @Test
  void deleteOperationRemovesOperationChunksAndSagaStepsOnly() throws Exception {
    StreamingOperation a = Records.operation("a", 5);
    StreamingOperation b = Records.operation("b", 2);
    catalog.putOperationWithChunks(a, Records.pendingChunks(a));
    catalog.putOperationWithChunks(b, Records.pendingChunks(b));
    catalog.addSagaStep(new SagaStep("a", 0, SagaStep.Action.ABORT_UPLOAD, "k", "u", null, null));
    SagaStep kept = catalog.addSagaStep(new SagaStep("b", 0, SagaStep.Action.ABORT_UPLOAD, "k", "u", null,
        null));

    catalog.deleteOperation("a");
    assertTrue(catalog.getOperation("a").isEmpty());
    assertTrue(catalog.chunks("a").isEmpty());
    assertTrue(catalog.sagaSteps("a").isEmpty());
    assertEquals(b, catalog.getOperation("b").orElseThrow());
    assertEquals(2, catalog.chunks("b").size());
    assertEquals(List.of(kept), catalog.sagaSteps("b"));
    catalog.deleteOperation("never-existed");
  }

  @Test
  void updateOperationChangesOneRecordInPlace() throws Exception {
    catalog.putOperation(Records.operation("u", 3));
    StreamingOperation done = catalog.updateOperation("u", op -> op.withStatus(OperationStatus.CANCELLED))
        .orElseThrow();
    assertEquals(OperationStatus.CANCELLED, done.status());
    assertEquals(done, catalog.getOperation("u").orElseThrow());
    assertTrue(catalog.updateOperation("missing", op -> op).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> catalog.updateOperation("u",
        op -> Records.operation("other", 1)));
    assertEquals(done, catalog.getOperation("u").orElseThrow(), "a refused update leaves the record");
  }

  @Test
  void operationIdsAreCheckedWithAClearMessage() {
    String max = "f".repeat(Keys.MAX_ID_BYTES);
    catalog.putOperation(Records.operation(max, 1));
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> catalog.putOperation(Records.operation(max + "f", 1)));
    assertTrue(tooLong.getMessage().contains("1 to 64"), tooLong.getMessage());
    assertThrows(IllegalArgumentException.class, () -> catalog.getOperation(""));
    assertThrows(IllegalArgumentException.class, () -> catalog.getOperation("a\u0000b"));
    IllegalArgumentException nonAscii = assertThrows(IllegalArgumentException.class,
        () -> catalog.chunks("caf\u00e9"));
    assertTrue(nonAscii.getMessage().contains("U+00E9"), nonAscii.getMessage());
    assertThrows(IllegalArgumentException.class, () -> catalog.deleteOperation(null));
  }

  @Test
  void everythingSurvivesCloseAndReopen() throws Exception {
    StreamingOperation op = Records.operation("persist", 3);
    catalog.putOperationWithChunks(op, Records.pendingChunks(op));
    catalog.checkpoint(op.withChunksCompleted(1), Records.pendingChunks(op).get(0).confirmed("ab", "e"));
    SagaStep step = catalog.addSagaStep(new SagaStep("persist", 0, SagaStep.Action.ABORT_UPLOAD, "k", "u",
        null, null));
    catalog.table("attrs").put(new byte[] {1, 2}, new byte[] {3});
    catalog.close();
    assertThrows(IllegalStateException.class, () -> catalog.getOperation("persist"));
    catalog.close();

    catalog = Catalog.open(tmp.resolve("state"));
    assertEquals(op.withChunksCompleted(1).chunksCompleted(),
        catalog.getOperation("persist").orElseThrow().chunksCompleted());
    assertTrue(catalog.chunks("persist").get(0).uploaded());
    assertFalse(catalog.chunks("persist").get(1).uploaded());
    assertEquals(List.of(step), catalog.sagaSteps("persist"));
    assertEquals(3, catalog.table("attrs").get(new byte[] {1, 2})[0]);
    SagaStep next = catalog.addSagaStep(step);
    assertTrue(next.sequence() > step.sequence(), "the saga sequence counter persists");
  }
}

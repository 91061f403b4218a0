package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.StreamingOperation;

/**
 * Corrupt records injected with raw LMDB writes: each raises {@link ChunkMetadataCorruptException} naming
 * its operation, the other operations keep working, and deleting the corrupt operation clears it.
 */
class CatalogCorruptionTest {
  @TempDir
  Path tmp;
  Catalog catalog;
  StreamingOperation good;

  @BeforeEach
  void open() throws Exception {
    catalog = Catalog.open(tmp.resolve("state"));
    good = Records.operation("good", 3);
    catalog.putOperationWithChunks(good, Records.pendingChunks(good));
  }

  @AfterEach
  void close() {
    catalog.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{not json",
      "[1,2,3]",
      "{\"operationId\":\"bad\",\"kind\":\"UPLOAD\",\"status\":\"PENDING\"}",
      "{\"v\":99,\"operationId\":\"bad\",\"kind\":\"UPLOAD\",\"status\":\"PENDING\"}",
      "{\"v\":1,\"operationId\":\"someone-else\",\"kind\":\"UPLOAD\",\"status\":\"PENDING\"}",
      "{\"v\":1,\"operationId\":\"bad\",\"kind\":\"TELEPORT\",\"status\":\"PENDING\"}",
      "{\"v\":1,\"operationId\":\"bad\",\"status\":\"PENDING\"}",
      "{\"v\":1,\"operationId\":\"bad\",\"kind\":\"UPLOAD\",\"status\":\"PENDING\",\"createdAt\":\"soon\"}",
      ""})
  void corruptOperationRecordIsReportedAloneAndCanBeDeleted(String raw) throws Exception {
    catalog.putRaw(Keys.DB_OPERATIONS, Keys.operation("bad"), utf8(raw));
    catalog.putRaw(Keys.DB_CHUNKS, Keys.chunk("bad", 0), utf8("{also broken"));
    catalog.addSagaStep(new SagaStep("bad", 0, SagaStep.Action.ABORT_UPLOAD, "k", "u", null, null));

    Catalog.Operations listed = catalog.listOperations();
    assertEquals(List.of(good), listed.operations());
    assertEquals(1, listed.corrupt().size());
    ChunkMetadataCorruptException e = listed.corrupt().get(0);
    assertEquals("bad", e.operationId());
    assertTrue(e.getMessage().contains("operation bad") && e.getMessage().contains("operation record"),
        e.getMessage());
    assertThrows(ChunkMetadataCorruptException.class, () -> catalog.operationWithChunks("bad"));

    ChunkMetadataCorruptException direct = assertThrows(ChunkMetadataCorruptException.class,
        () -> catalog.getOperation("bad"));
    assertEquals("bad", direct.operationId());
    assertEquals(good, catalog.getOperation("good").orElseThrow());
    assertEquals(3, catalog.chunks("good").size());

    catalog.deleteOperation("bad");
    assertTrue(catalog.listOperations().corrupt().isEmpty());
    assertTrue(catalog.chunks("bad").isEmpty());
    assertTrue(catalog.sagaSteps("bad").isEmpty());

    StreamingOperation restarted = Records.operation("bad", 2);
    catalog.putOperationWithChunks(restarted, Records.pendingChunks(restarted));
    assertEquals(restarted, catalog.getOperation("bad").orElseThrow());
  }

  @Test
  void corruptChunkRecordNamesOperationAndChunk() throws Exception {
    catalog.putRaw(Keys.DB_CHUNKS, Keys.chunk("good", 1),
        utf8("{\"v\":1,\"chunkIndex\":1,\"offsetBytes\":-5,\"sizeBytes\":10}"));
    ChunkMetadataCorruptException e = assertThrows(ChunkMetadataCorruptException.class,
        () -> catalog.chunks("good"));
    assertEquals("good", e.operationId());
    assertTrue(e.getMessage().contains("chunk record 1"), e.getMessage());
    assertThrows(ChunkMetadataCorruptException.class, () -> catalog.chunk("good", 1));
    assertThrows(ChunkMetadataCorruptException.class, () -> catalog.operationWithChunks("good"));
    assertEquals(Records.pendingChunks(good).get(0), catalog.chunk("good", 0).orElseThrow());

    catalog.putRaw(Keys.DB_CHUNKS, Keys.chunk("good", 1),
        utf8("{\"v\":1,\"chunkIndex\":2,\"offsetBytes\":5,\"sizeBytes\":10}"));
    ChunkMetadataCorruptException moved = assertThrows(ChunkMetadataCorruptException.class,
        () -> catalog.chunks("good"));
    assertTrue(moved.getMessage().contains("names chunk 2"), moved.getMessage());

    StreamingOperation other = Records.operation("other", 2);
    catalog.putOperationWithChunks(other, Records.pendingChunks(other));
    assertEquals(2, catalog.chunks("other").size());
    assertEquals(List.of("good", "other"), catalog.listOperations().operations().stream()
        .map(StreamingOperation::operationId).collect(Collectors.toList()));

    catalog.putOperationWithChunks(good, Records.pendingChunks(good));
    assertEquals(Records.pendingChunks(good), catalog.chunks("good"), "rewriting the chunks repairs it");
  }

  @Test
  void chunkKeyOfTheWrongShapeIsCorruptToo() {
    byte[] prefix = Keys.childPrefix("good");
    byte[] shortKey = new byte[prefix.length + 2];
    System.arraycopy(prefix, 0, shortKey, 0, prefix.length);
    catalog.putRaw(Keys.DB_CHUNKS, shortKey, utf8("{}"));
    ChunkMetadataCorruptException e = assertThrows(ChunkMetadataCorruptException.class,
        () -> catalog.chunks("good"));
    assertTrue(e.getMessage().contains("shape"), e.getMessage());
    catalog.deleteOperation("good");
    assertTrue(catalog.listOperations().operations().isEmpty());
  }

  @Test
  void corruptSagaStepNamesOperation() throws Exception {
    SagaStep step = catalog.addSagaStep(new SagaStep("good", 0, SagaStep.Action.ABORT_UPLOAD, "k", "u",
        null, null));
    catalog.putRaw(Keys.DB_SAGA, Keys.saga("good", step.sequence()),
        utf8("{\"v\":1,\"operationId\":\"good\",\"sequence\":" + step.sequence() + ",\"action\":\"EXPLODE\"}"));
    ChunkMetadataCorruptException e = assertThrows(ChunkMetadataCorruptException.class,
        () -> catalog.sagaSteps("good"));
    assertEquals("good", e.operationId());
    assertTrue(e.getMessage().contains("saga step " + step.sequence()), e.getMessage());
    assertEquals(good, catalog.getOperation("good").orElseThrow());
    catalog.removeSagaStep(step);
    assertTrue(catalog.sagaSteps("good").isEmpty());
  }

  @Test
  void recordsAreVersionedJson() {
    RecordCodec codec = new RecordCodec();
    String json = new String(codec.encode(ChunkMetadata.pending(7, 70, 10)), StandardCharsets.UTF_8);
    assertTrue(json.startsWith("{\"v\":1,\"chunkIndex\":7,"), json);
    String op = new String(codec.encode(good), StandardCharsets.UTF_8);
    assertTrue(op.contains("\"createdAt\":\"2026-11-28T10:15:30.123456789Z\""), op);
  }
}

package org.streamfs.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.lmdbjava.Dbi;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.StreamingOperation;

/**
 * The local state of one state directory, in one LMDB environment (see {@link Keys} for the schema):
 * operations, their chunk index, checkpoints, the saga log and tables for upper layers. A checkpoint is one
 * LMDB commit ({@link #checkpoint}) made after every chunk the store confirmed. Several processes may open
 * the same directory at once (the daemon and the CLI); no transaction is ever held across network I/O.
 * A record that fails to decode raises {@link ChunkMetadataCorruptException} naming its operation while the
 * rest keeps working. Thread-safe; every method is one short transaction. Methods throw
 * {@link IllegalArgumentException} for a bad operation id, {@link IllegalStateException} once closed and
 * {@link UncheckedIOException} naming the directory when LMDB itself fails.
 */
public final class Catalog implements AutoCloseable {
  /** Version of the catalog's layout (databases and keys), kept in the meta database. */
  static final int SCHEMA_VERSION = 1;

  private final CatalogEnv env;
  private final RecordCodec codec = new RecordCodec();
  private final Dbi<byte[]> operations;
  private final Dbi<byte[]> chunks;
  private final Dbi<byte[]> saga;
  private final Dbi<byte[]> meta;
  private final Map<String, KvTable> tables = new ConcurrentHashMap<>();

  private Catalog(CatalogEnv env) {
    this.env = env;
    this.operations = env.openDbi(Keys.DB_OPERATIONS);
    this.chunks = env.openDbi(Keys.DB_CHUNKS);
    this.saga = env.openDbi(Keys.DB_SAGA);
    this.meta = env.openDbi(Keys.DB_META);
  }

  /** Opens (creating if needed, mode 0700) the catalog in {@code dir}. */
  public static Catalog open(Path dir) throws IOException {
    return open(dir, CatalogEnv.DEFAULT_MAP_SIZE);
  }

  /** Opens with a chosen initial map size (tests use a small one to exercise growth). */
  static Catalog open(Path dir, long mapSize) throws IOException {
    CatalogEnv env = CatalogEnv.open(dir, mapSize);
    try {
      Catalog catalog = new Catalog(env);
      catalog.checkSchemaVersion();
      return catalog;
    } catch (IOException | RuntimeException e) {
      env.close();
      if (e instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw e;
    }
  }

  private void checkSchemaVersion() throws IOException {
    byte[] stored = env.write("check the schema version", txn -> {
      byte[] value = meta.get(txn, Keys.META_SCHEMA_VERSION);
      if (value == null) {
        value = Keys.ascii(Integer.toString(SCHEMA_VERSION));
        meta.put(txn, Keys.META_SCHEMA_VERSION, value);
      }
      return value;
    });
    String text = new String(stored, StandardCharsets.US_ASCII);
    if (!text.equals(Integer.toString(SCHEMA_VERSION))) {
      throw new IOException("catalog " + env.dir() + " has schema version \"" + text + "\"; this streamfs"
          + " reads version " + SCHEMA_VERSION + " (use the streamfs that wrote it, or move the directory"
          + " away)");
    }
  }

  /** The state directory (absolute, symlinks resolved). */
  public Path dir() {
    return env.dir();
  }

  /** Operations that decoded, and one exception per operation that did not. */
  public record Operations(List<StreamingOperation> operations,
      List<ChunkMetadataCorruptException> corrupt) {
    public Operations {
      operations = List.copyOf(operations);
      corrupt = List.copyOf(corrupt);
    }
  }

  /** Inserts or replaces an operation record. */
  public void putOperation(StreamingOperation op) {
    byte[] key = Keys.operation(op.operationId());
    byte[] value = codec.encode(op);
    env.write("store operation " + op.operationId(), txn -> operations.put(txn, key, value));
  }

  /** The operation's record, or empty if there is none. */
  public Optional<StreamingOperation> getOperation(String operationId)
      throws ChunkMetadataCorruptException {
    byte[] key = Keys.operation(operationId);
    byte[] value = env.read("read operation " + operationId, txn -> operations.get(txn, key));
    return value == null ? Optional.empty() : Optional.of(codec.decodeOperation(operationId, value));
  }

  /**
   * Reads, changes and writes back one operation in one commit; empty if there is none. {@code change}
   * runs inside the write transaction (it may run again if the map had to grow): keep it to computing
   * the new record, without I/O. It may not change the operation id.
   */
  public Optional<StreamingOperation> updateOperation(String operationId,
      UnaryOperator<StreamingOperation> change) throws ChunkMetadataCorruptException {
    byte[] key = Keys.operation(operationId);
    return env.write("update operation " + operationId, txn -> {
      byte[] value = operations.get(txn, key);
      if (value == null) {
        return Optional.empty();
      }
      StreamingOperation updated = change.apply(codec.decodeOperation(operationId, value));
      if (!operationId.equals(updated.operationId())) {
        throw new IllegalArgumentException("update of operation " + operationId + " changed its id to "
            + updated.operationId());
      }
      operations.put(txn, key, codec.encode(updated));
      return Optional.of(updated);
    });
  }

  /** Every operation, in id order: those that decoded, and one exception per one that did not. */
  public Operations listOperations() {
    List<Map.Entry<byte[], byte[]>> entries =
        env.read("list operations", txn -> CatalogEnv.scan(txn, operations, new byte[0]));
    List<StreamingOperation> good = new ArrayList<>(entries.size());
    List<ChunkMetadataCorruptException> bad = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : entries) {
      String id = Keys.operationIdOf(e.getKey());
      try {
        good.add(codec.decodeOperation(id, e.getValue()));
      } catch (ChunkMetadataCorruptException ex) {
        bad.add(ex);
      }
    }
    return new Operations(good, bad);
  }

  /** Removes an operation with its chunks and saga steps, in one commit (whether or not they decode). */
  public void deleteOperation(String operationId) {
    byte[] key = Keys.operation(operationId);
    byte[] children = Keys.childPrefix(operationId);
    env.write("delete operation " + operationId, txn -> {
      operations.delete(txn, key);
      CatalogEnv.deletePrefix(txn, chunks, children);
      CatalogEnv.deletePrefix(txn, saga, children);
      return null;
    });
  }

  /** Writes the operation and all its chunk records in one commit (replacing existing chunk records). */
  public void putOperationWithChunks(StreamingOperation op, List<ChunkMetadata> chunkList) {
    String id = op.operationId();
    byte[] key = Keys.operation(id);
    byte[] value = codec.encode(op);
    byte[][] chunkKeys = new byte[chunkList.size()][];
    byte[][] chunkValues = new byte[chunkList.size()][];
    for (int i = 0; i < chunkList.size(); i++) {
      ChunkMetadata chunk = chunkList.get(i);
      chunkKeys[i] = Keys.chunk(id, chunk.chunkIndex());
      chunkValues[i] = codec.encode(chunk);
    }
    env.write("store operation " + id + " with " + chunkList.size() + " chunks", txn -> {
      operations.put(txn, key, value);
      CatalogEnv.deletePrefix(txn, chunks, Keys.childPrefix(id));
      for (int i = 0; i < chunkKeys.length; i++) {
        chunks.put(txn, chunkKeys[i], chunkValues[i]);
      }
      return null;
    });
  }

  /** The checkpoint: the chunk record and the updated operation in one commit. */
  public void checkpoint(StreamingOperation op, ChunkMetadata chunk) {
    String id = op.operationId();
    byte[] opKey = Keys.operation(id);
    byte[] chunkKey = Keys.chunk(id, chunk.chunkIndex());
    byte[] opValue = codec.encode(op);
    byte[] chunkValue = codec.encode(chunk);
    env.write("checkpoint chunk " + chunk.chunkIndex() + " of operation " + id, txn -> {
      chunks.put(txn, chunkKey, chunkValue);
      operations.put(txn, opKey, opValue);
      return null;
    });
  }

  /** Chunk records of an operation in index order. */
  public List<ChunkMetadata> chunks(String operationId) throws ChunkMetadataCorruptException {
    byte[] prefix = Keys.childPrefix(operationId);
    return decodeChunks(operationId,
        env.read("read chunks of operation " + operationId, txn -> CatalogEnv.scan(txn, chunks, prefix)));
  }

  /** An operation with its chunk records, read in one transaction so that they agree with each other. */
  public record OperationState(StreamingOperation operation, List<ChunkMetadata> chunks) {
    public OperationState {
      chunks = List.copyOf(chunks);
    }
  }

  /** The operation and its chunk records from one snapshot (e.g. to resume it); empty if none. */
  public Optional<OperationState> operationWithChunks(String operationId)
      throws ChunkMetadataCorruptException {
    byte[] key = Keys.operation(operationId);
    byte[] prefix = Keys.childPrefix(operationId);
    Map.Entry<byte[], List<Map.Entry<byte[], byte[]>>> raw = env.read("read operation " + operationId,
        txn -> {
          byte[] value = operations.get(txn, key);
          return value == null ? null : Map.entry(value, CatalogEnv.scan(txn, chunks, prefix));
        });
    if (raw == null) {
      return Optional.empty();
    }
    return Optional.of(new OperationState(codec.decodeOperation(operationId, raw.getKey()),
        decodeChunks(operationId, raw.getValue())));
  }

  private List<ChunkMetadata> decodeChunks(String operationId, List<Map.Entry<byte[], byte[]>> entries)
      throws ChunkMetadataCorruptException {
    List<ChunkMetadata> out = new ArrayList<>(entries.size());
    for (Map.Entry<byte[], byte[]> e : entries) {
      int index = Keys.chunkIndexOf(e.getKey());
      if (index < 0) {
        throw new ChunkMetadataCorruptException(operationId, "chunk key of " + e.getKey().length
            + " bytes has not the id-0x00-index shape", null);
      }
      out.add(codec.decodeChunk(operationId, index, e.getValue()));
    }
    return out;
  }

  /** One chunk record, if stored. */
  public Optional<ChunkMetadata> chunk(String operationId, int index) throws ChunkMetadataCorruptException {
    byte[] key = Keys.chunk(operationId, index);
    byte[] value = env.read("read chunk " + index + " of operation " + operationId,
        txn -> chunks.get(txn, key));
    return value == null ? Optional.empty() : Optional.of(codec.decodeChunk(operationId, index, value));
  }

  /**
   * Appends a compensation to the saga log; returns it with its sequence number (unique in this catalog,
   * increasing) and {@code recordedAt} set to now if it was null. The given sequence is ignored.
   */
  public SagaStep addSagaStep(SagaStep step) {
    Objects.requireNonNull(step.action(), "saga step action");
    Keys.idBytes(step.operationId());
    return env.write("record a saga step of operation " + step.operationId(), txn -> {
      byte[] last = meta.get(txn, Keys.META_SAGA_SEQUENCE);
      long next = (last == null ? 0 : ByteBuffer.wrap(last).getLong()) + 1;
      SagaStep stored = new SagaStep(step.operationId(), next, step.action(), step.key(), step.uploadId(),
          step.path(), step.recordedAt() == null ? Instant.now() : step.recordedAt());
      meta.put(txn, Keys.META_SAGA_SEQUENCE, ByteBuffer.allocate(Long.BYTES).putLong(next).array());
      saga.put(txn, Keys.saga(step.operationId(), next), codec.encode(stored));
      return stored;
    });
  }

  /** The saga steps still owed by an operation, oldest first. */
  public List<SagaStep> sagaSteps(String operationId) throws ChunkMetadataCorruptException {
    byte[] prefix = Keys.childPrefix(operationId);
    List<Map.Entry<byte[], byte[]>> entries =
        env.read("read saga steps of operation " + operationId, txn -> CatalogEnv.scan(txn, saga, prefix));
    List<SagaStep> out = new ArrayList<>(entries.size());
    for (Map.Entry<byte[], byte[]> e : entries) {
      long sequence = Keys.sagaSequenceOf(e.getKey());
      if (sequence < 0) {
        throw new ChunkMetadataCorruptException(operationId, "saga key of " + e.getKey().length
            + " bytes has not the id-0x00-sequence shape", null);
      }
      out.add(codec.decodeSagaStep(operationId, sequence, e.getValue()));
    }
    return out;
  }

  /**
   * Every saga step still owed in this catalog, whether or not its operation record is still there, in key
   * order; a step that does not decode is reported as a {@link ChunkMetadataCorruptException}.
   */
  public List<SagaStep> allSagaSteps() throws ChunkMetadataCorruptException {
    List<Map.Entry<byte[], byte[]>> entries =
        env.read("read all saga steps", txn -> CatalogEnv.scan(txn, saga, new byte[0]));
    List<SagaStep> out = new ArrayList<>(entries.size());
    for (Map.Entry<byte[], byte[]> e : entries) {
      String id = Keys.operationIdOf(e.getKey());
      long sequence = Keys.sagaSequenceOf(e.getKey());
      if (sequence < 0) {
        throw new ChunkMetadataCorruptException(id, "saga key of " + e.getKey().length
            + " bytes has not the id-0x00-sequence shape", null);
      }
      out.add(codec.decodeSagaStep(id, sequence, e.getValue()));
    }
    return out;
  }

  /** Removes one saga step (the compensation was done, or is no longer owed). */
  public void removeSagaStep(SagaStep step) {
    byte[] key = Keys.saga(step.operationId(), step.sequence());
    env.write("remove saga step " + step.sequence() + " of operation " + step.operationId(),
        txn -> saga.delete(txn, key));
  }

  /** A named table for an upper layer ({@code [a-z0-9._-]{1,64}}); created on first use. */
  public KvTable table(String name) {
    String dbName = Keys.tableDbName(name);
    return tables.computeIfAbsent(name, n -> new LmdbKvTable(env, n, env.openDbi(dbName)));
  }

  /** Test hook: writes raw bytes into one of the catalog's own databases (to inject corrupt records). */
  void putRaw(String database, byte[] key, byte[] value) {
    Dbi<byte[]> dbi = switch (database) {
      case Keys.DB_OPERATIONS -> operations;
      case Keys.DB_CHUNKS -> chunks;
      case Keys.DB_SAGA -> saga;
      case Keys.DB_META -> meta;
      default -> throw new IllegalArgumentException("no catalog database " + database);
    };
    env.write("write a raw record", txn -> dbi.put(txn, key, value));
  }

  /** Current LMDB map size in bytes (grows when the map fills). */
  long mapSize() {
    return env.mapSize();
  }

  @Override
  public void close() {
    env.close();
  }

  @Override
  public String toString() {
    return "Catalog[" + env.dir() + "]";
  }
}

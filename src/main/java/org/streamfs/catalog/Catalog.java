package org.streamfs.catalog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.StreamingOperation;

/**
 * The local state of one state directory, in one LMDB environment (see {@link Keys} for the schema):
 * operations, their chunk index, checkpoints, the saga log and tables for upper layers. A checkpoint is one
 * LMDB commit ({@link #checkpoint}) made after every chunk the store confirmed. Several processes may open
 * the same directory at once (the daemon and the CLI); no transaction is ever held across network I/O.
 * A record that fails to decode raises {@link ChunkMetadataCorruptException} naming its operation while the
 * rest keeps working.
 */
public final class Catalog implements AutoCloseable {

  /** Opens (creating if needed, mode 0700) the catalog in {@code dir}. */
  public static Catalog open(Path dir) throws IOException {
    throw new UnsupportedOperationException("catalog: to be implemented");
  }

  /** Operations that decoded, and one exception per operation that did not. */
  public record Operations(List<StreamingOperation> operations,
      List<ChunkMetadataCorruptException> corrupt) {}

  /** Inserts or replaces an operation record. */
  public void putOperation(StreamingOperation op) {
    throw new UnsupportedOperationException();
  }

  public Optional<StreamingOperation> getOperation(String operationId)
      throws ChunkMetadataCorruptException {
    throw new UnsupportedOperationException();
  }

  public Operations listOperations() {
    throw new UnsupportedOperationException();
  }

  /** Removes an operation with its chunks and saga steps, in one commit. */
  public void deleteOperation(String operationId) {
    throw new UnsupportedOperationException();
  }

  /** Writes the operation and all its chunk records in one commit (replacing existing chunk records). */
  public void putOperationWithChunks(StreamingOperation op, List<ChunkMetadata> chunks) {
    throw new UnsupportedOperationException();
  }

  /** The checkpoint: the chunk record and the updated operation in one commit. */
  public void checkpoint(StreamingOperation op, ChunkMetadata chunk) {
    throw new UnsupportedOperationException();
  }

  /** Chunk records of an operation in index order. */
  public List<ChunkMetadata> chunks(String operationId) throws ChunkMetadataCorruptException {
    throw new UnsupportedOperationException();
  }

  /** Appends a compensation to the saga log; returns it with its sequence number. */
  public SagaStep addSagaStep(SagaStep step) {
    throw new UnsupportedOperationException();
  }

  public List<SagaStep> sagaSteps(String operationId) throws ChunkMetadataCorruptException {
    throw new UnsupportedOperationException();
  }

  public void removeSagaStep(SagaStep step) {
    throw new UnsupportedOperationException();
  }

  /** A named table for an upper layer; created on first use. */
  public KvTable table(String name) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {
    throw new UnsupportedOperationException();
  }
}

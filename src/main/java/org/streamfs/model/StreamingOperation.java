package org.streamfs.model;

import java.time.Instant;
import java.util.Map;

/**
 * One transfer as the seed describes it: id, file name, total size, chunk size, chunks total/completed,
 * status, created/updated times, whole-file SHA-256 and user metadata. The Java form adds what resume
 * needs: the kind, the store key, the store's upload id, the last error and how often it was retried.
 * Instances are immutable; the {@code with*} methods return changed copies and refresh {@code updatedAt}.
 */
public record StreamingOperation(
    String operationId,
    OperationKind kind,
    String fileName,
    String key,
    long totalSizeBytes,
    long chunkSizeBytes,
    int chunksTotal,
    int chunksCompleted,
    OperationStatus status,
    Instant createdAt,
    Instant updatedAt,
    String checksum,
    Map<String, String> metadata,
    String uploadId,
    String error,
    int retryCount) {

  public StreamingOperation {
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  /** Percentage complete (0-100) by chunks; 100 for an empty file once completed. */
  public double progressPercent() {
    if (chunksTotal == 0) {
      return status == OperationStatus.COMPLETED ? 100.0 : 0.0;
    }
    return 100.0 * chunksCompleted / chunksTotal;
  }

  /** Bytes confirmed so far, assuming full chunks except the last. */
  public long bytesCompleted() {
    if (chunksCompleted >= chunksTotal) {
      return totalSizeBytes;
    }
    return Math.min(totalSizeBytes, chunksCompleted * chunkSizeBytes);
  }

  public StreamingOperation withStatus(OperationStatus s) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, chunksCompleted, s, createdAt, Instant.now(), checksum, metadata, uploadId, error,
        retryCount);
  }

  public StreamingOperation withStatus(OperationStatus s, String err) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, chunksCompleted, s, createdAt, Instant.now(), checksum, metadata, uploadId, err,
        retryCount);
  }

  public StreamingOperation withChunksCompleted(int n) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, n, status, createdAt, Instant.now(), checksum, metadata, uploadId, error, retryCount);
  }

  public StreamingOperation withUploadId(String id) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, chunksCompleted, status, createdAt, Instant.now(), checksum, metadata, id, error,
        retryCount);
  }

  public StreamingOperation withChecksum(String sha256Hex) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, chunksCompleted, status, createdAt, Instant.now(), sha256Hex, metadata, uploadId, error,
        retryCount);
  }

  public StreamingOperation withSize(long total, long chunkSize) {
    int chunks = new ChunkLayout(total, chunkSize).chunkCount();
    return new StreamingOperation(operationId, kind, fileName, key, total, chunkSize, chunks,
        Math.min(chunksCompleted, chunks), status, createdAt, Instant.now(), checksum, metadata, uploadId,
        error, retryCount);
  }

  public StreamingOperation withMetadata(Map<String, String> m) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, chunksCompleted, status, createdAt, Instant.now(), checksum, m, uploadId, error,
        retryCount);
  }

  public StreamingOperation withRetryCount(int n) {
    return new StreamingOperation(operationId, kind, fileName, key, totalSizeBytes, chunkSizeBytes,
        chunksTotal, chunksCompleted, status, createdAt, Instant.now(), checksum, metadata, uploadId, error,
        n);
  }
}

package org.streamfs.model;

/**
 * One chunk of an operation, as the seed names it: index (0-based), offset and size in the file, SHA-256 of
 * its plaintext bytes (hex, null until computed), whether the store confirmed it, and how many times it was
 * retried. {@code etag} is the store's receipt for the part (null until uploaded).
 */
public record ChunkMetadata(
    int chunkIndex,
    long offsetBytes,
    long sizeBytes,
    String checksum,
    boolean uploaded,
    int retryCount,
    String etag) {

  public ChunkMetadata {
    if (chunkIndex < 0 || offsetBytes < 0 || sizeBytes < 0 || retryCount < 0) {
      throw new IllegalArgumentException("negative chunk field: index=" + chunkIndex + " offset="
          + offsetBytes + " size=" + sizeBytes + " retries=" + retryCount);
    }
  }

  /** A chunk not yet sent. */
  public static ChunkMetadata pending(int index, long offset, long size) {
    return new ChunkMetadata(index, offset, size, null, false, 0, null);
  }

  public ChunkMetadata confirmed(String sha256Hex, String receipt) {
    return new ChunkMetadata(chunkIndex, offsetBytes, sizeBytes, sha256Hex, true, retryCount, receipt);
  }

  public ChunkMetadata withRetry() {
    return new ChunkMetadata(chunkIndex, offsetBytes, sizeBytes, checksum, uploaded, retryCount + 1, etag);
  }

  public ChunkMetadata withChecksum(String sha256Hex) {
    return new ChunkMetadata(chunkIndex, offsetBytes, sizeBytes, sha256Hex, uploaded, retryCount, etag);
  }

  public ChunkMetadata unconfirmed() {
    return new ChunkMetadata(chunkIndex, offsetBytes, sizeBytes, checksum, false, retryCount, null);
  }

  /** The S3-style part number (1-based) that carries this chunk. */
  public int partNumber() {
    return chunkIndex + 1;
  }
}

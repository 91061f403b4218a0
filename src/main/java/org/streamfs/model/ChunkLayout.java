package org.streamfs.model;

/**
 * How a file of {@code totalSize} bytes is cut into chunks of {@code chunkSize} bytes: the last chunk holds
 * the remainder, and a 0-byte file has 0 chunks. {@link #chooseChunkSize(long)} is the seed's table: 5 MiB
 * below 100 MiB, 10 MiB below 500 MiB, 20 MiB below 5 GiB, 50 MiB above; a store that caps the number of
 * parts (S3: 10,000) raises it through {@link #fitToPartLimit(long, long, int)}.
 */
public record ChunkLayout(long totalSize, long chunkSize) {
  public static final long MIB = 1024L * 1024L;
  /** The seed's default chunk size. */
  public static final long DEFAULT_CHUNK_SIZE = 10 * MIB;

  public ChunkLayout {
    if (totalSize < 0) {
      throw new IllegalArgumentException("negative size " + totalSize);
    }
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
    }
  }

  /** The seed's chunk size for a file of this size ({@code calculate_chunk_size}). */
  public static long chooseChunkSize(long fileSize) {
    if (fileSize < 100 * MIB) {
      return 5 * MIB;
    } else if (fileSize < 500 * MIB) {
      return 10 * MIB;
    } else if (fileSize < 5 * 1024 * MIB) {
      return 20 * MIB;
    }
    return 50 * MIB;
  }

  /** Raises {@code chunkSize} (by whole MiB) until {@code fileSize} fits into {@code maxParts} chunks. */
  public static long fitToPartLimit(long fileSize, long chunkSize, int maxParts) {
    long needed = (fileSize + maxParts - 1) / maxParts;
    if (needed <= chunkSize) {
      return chunkSize;
    }
    return (needed + MIB - 1) / MIB * MIB;
  }

  public int chunkCount() {
    long n = (totalSize + chunkSize - 1) / chunkSize;
    if (n > Integer.MAX_VALUE) {
      throw new IllegalStateException("too many chunks: " + n);
    }
    return (int) n;
  }

  public long offset(int index) {
    return index * chunkSize;
  }

  public long size(int index) {
    if (index < 0 || index >= chunkCount()) {
      throw new IndexOutOfBoundsException("chunk " + index + " of " + chunkCount());
    }
    return Math.min(chunkSize, totalSize - offset(index));
  }

  /** The chunk holding byte {@code position}. */
  public int indexOf(long position) {
    return (int) (position / chunkSize);
  }
}

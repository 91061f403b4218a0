package org.streamfs.transfer.embeddings;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a range of rows of a {@code .npy} matrix stored in fixed-size chunks, fetching only the chunks that
 * hold those rows (through a {@link ChunkFetcher}: the engine's verified ranged chunk reads, or a local
 * file) and handing rows out one at a time, so a range of any length needs one chunk buffer of memory. A
 * row that straddles two chunks is assembled from both.
 */
public final class RowReader {

  /**
   * Returns chunk {@code index} of the file ({@code size} bytes, from position 0); the reader does not
   * modify it. {@link #into} adapts a fetcher that fills a caller's buffer.
   */
  @FunctionalInterface
  public interface ChunkFetcher {
    ByteBuffer fetch(int index, int size) throws IOException;
  }

  /** Fills a caller's buffer (position 0, limit = the chunk's size) with chunk {@code index}. */
  @FunctionalInterface
  public interface ChunkFiller {
    void fill(int index, ByteBuffer dst) throws IOException;
  }

  /** A fetcher that reuses one buffer of {@code capacity} bytes, filled by {@code filler}. */
  public static ChunkFetcher into(int capacity, ChunkFiller filler) {
    ByteBuffer[] buf = {null};
    return (index, size) -> {
      if (buf[0] == null) {
        buf[0] = ByteBuffer.allocate(capacity);
      }
      ByteBuffer b = buf[0].clear().limit(size);
      filler.fill(index, b);
      return b.position(0).limit(size);
    };
  }

  /** Receives rows in order; the array is reused between calls, copy it to keep it. */
  @FunctionalInterface
  public interface RowSink {
    void accept(long row, float[] vector) throws IOException;
  }

  private final NpyHeader header;
  private final long fileSize;
  private final long chunkSize;
  private final ChunkFetcher fetcher;
  private final String name;

  public RowReader(NpyHeader header, long fileSize, long chunkSize, ChunkFetcher fetcher, String name)
      throws EmbeddingFormatException {
    if (fileSize < header.fileSize()) {
      throw new EmbeddingFormatException(name + ": object of " + fileSize + " bytes is shorter than its "
          + ".npy header declares (" + header.fileSize() + " bytes for shape (" + header.rows() + ", "
          + header.dim() + "))");
    }
    if (chunkSize <= 0 || chunkSize > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("unsupported chunk size " + chunkSize);
    }
    this.header = header;
    this.fileSize = fileSize;
    this.chunkSize = chunkSize;
    this.fetcher = fetcher;
    this.name = name;
  }

  public NpyHeader header() {
    return header;
  }

  /** Checks that [fromRow, fromRow+count) lies inside the matrix; the message names both. */
  public void checkRange(long fromRow, long count) {
    if (fromRow < 0 || count < 0 || fromRow > header.rows() || count > header.rows() - fromRow) {
      throw new IllegalArgumentException("rows " + fromRow + ":" + (fromRow + Math.max(0, count))
          + " are out of range: " + name + " has " + header.rows() + " rows");
    }
  }

  /** The chunks that hold rows [fromRow, fromRow+count), as {first, last} (last < first when empty). */
  public int[] chunksFor(long fromRow, long count) {
    checkRange(fromRow, count);
    if (count == 0) {
      return new int[] {0, -1};
    }
    long start = header.rowOffset(fromRow);
    long end = header.rowOffset(fromRow + count);
    return new int[] {(int) (start / chunkSize), (int) ((end - 1) / chunkSize)};
  }

  /** Streams rows [fromRow, fromRow+count) to {@code sink}; returns the number of chunks fetched. */
  public int read(long fromRow, long count, RowSink sink) throws IOException {
    int[] span = chunksFor(fromRow, count);
    long end = header.rowOffset(fromRow + count);
    int rowBytes = (int) header.rowBytes();
    ByteBuffer rowBuf = ByteBuffer.allocate(rowBytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] vector = new float[header.dim()];
    long row = fromRow;
    long pos = header.rowOffset(fromRow);
    for (int c = span[0]; c <= span[1]; c++) {
      long chunkStart = c * chunkSize;
      int size = (int) Math.min(chunkSize, fileSize - chunkStart);
      ByteBuffer chunk = fetcher.fetch(c, size);
      if (chunk.limit() - chunk.position() < size || chunk.position() != 0) {
        throw new IOException(name + ": chunk " + c + " came back with " + chunk.remaining() + " bytes at "
            + "position " + chunk.position() + ", expected " + size);
      }
      long stop = Math.min(end, chunkStart + size);
      while (pos < stop) {
        int take = (int) Math.min(rowBuf.remaining(), stop - pos);
        ByteBuffer slice = chunk.duplicate();
        slice.limit((int) (pos - chunkStart) + take).position((int) (pos - chunkStart));
        rowBuf.put(slice);
        pos += take;
        if (!rowBuf.hasRemaining()) {
          rowBuf.flip();
          rowBuf.asFloatBuffer().get(vector);
          rowBuf.clear();
          sink.accept(row++, vector);
        }
      }
    }
    return span[1] - span[0] + 1;
  }

  /** Rows [fromRow, fromRow+count) as arrays (for ranges that fit in memory). */
  public float[][] read(long fromRow, int count) throws IOException {
    float[][] out = new float[count][];
    read(fromRow, count, (row, v) -> out[(int) (row - fromRow)] = v.clone());
    return out;
  }
}

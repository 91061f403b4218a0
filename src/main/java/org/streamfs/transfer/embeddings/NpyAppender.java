package org.streamfs.transfer.embeddings;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.function.IntConsumer;

/**
 * Appends float32 rows to a {@code .npy} file being written (a staging file, or any local file): writes a
 * fixed-size header with a provisional row count first, then rows through a bounded buffer, and reports
 * each chunk of the file as soon as all its bytes are written ({@code chunkDone}, in order, never chunk 0,
 * whose header changes at the end). {@link #finish} writes the remaining rows, rewrites the header with the
 * final shape in place and returns the file size. Every value is checked: a vector of the wrong dimension
 * or a NaN/Inf (unless allowed) fails with its row and column. Memory: one buffer, whatever the row count.
 */
public final class NpyAppender {
  private static final int BUFFER_BYTES = 1 << 20;

  private final FileChannel channel;
  private final int dim;
  private final int headerLength;
  private final long chunkSize;
  private final IntConsumer chunkDone;
  private final boolean allowNonFinite;
  private final ByteBuffer buf;
  private final String name;
  private long rows;
  private long flushedTo;
  private int nextChunkToReport;

  /**
   * Starts writing at row {@code startRows} (0 for a new file; the existing row count when appending to a
   * file whose rows up to there are already in place) with a header of {@code headerLength} bytes.
   */
  public NpyAppender(FileChannel channel, int dim, int headerLength, long startRows, long chunkSize,
      IntConsumer chunkDone, boolean allowNonFinite, String name) throws IOException {
    if (chunkSize <= headerLength) {
      throw new IllegalArgumentException("chunk size " + chunkSize + " must exceed the header length "
          + headerLength);
    }
    this.channel = channel;
    this.dim = dim;
    this.headerLength = headerLength;
    this.chunkSize = chunkSize;
    this.chunkDone = chunkDone;
    this.allowNonFinite = allowNonFinite;
    this.name = name;
    this.rows = startRows;
    int rowBytes = dim * NpyHeader.VALUE_BYTES;
    this.buf = ByteBuffer.allocate(Math.max(BUFFER_BYTES, rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
    writeAt(ByteBuffer.wrap(NpyHeader.encode(startRows, dim, headerLength)), 0);
    this.flushedTo = headerLength + startRows * rowBytes;
    this.nextChunkToReport = Math.max(1, (int) (flushedTo / chunkSize));
  }

  /** A new file with the standard fixed header, no chunk reports (plain {@code .npy} writing). */
  public static NpyAppender create(FileChannel channel, int dim, boolean allowNonFinite) throws IOException {
    return new NpyAppender(channel, dim, NpyHeader.FIXED_LENGTH, 0, Long.MAX_VALUE, i -> {}, allowNonFinite,
        "embeddings");
  }

  public int dim() {
    return dim;
  }

  /** Rows written so far (including those present before). */
  public long rows() {
    return rows;
  }

  /** Appends one vector after validating it. */
  public void append(float[] v) throws IOException {
    if (v.length != dim) {
      throw new EmbeddingFormatException(name + ": dimension mismatch at row " + rows + ": vector of "
          + v.length + " values, the collection has dimension " + dim);
    }
    if (!allowNonFinite) {
      for (int c = 0; c < v.length; c++) {
        if (!Float.isFinite(v[c])) {
          throw new EmbeddingFormatException(name + ": row " + rows + ", column " + c + " is " + v[c]
              + "; non-finite values (NaN, Inf) are refused unless allowed (--allow-nonfinite)");
        }
      }
    }
    if (buf.remaining() < v.length * NpyHeader.VALUE_BYTES) {
      flush();
    }
    buf.asFloatBuffer().put(v);
    buf.position(buf.position() + v.length * NpyHeader.VALUE_BYTES);
    rows++;
    if (flushedTo + buf.position() >= (nextChunkToReport + 1) * chunkSize && chunkSize != Long.MAX_VALUE) {
      flush(); // a chunk is complete: hand it over now, not when the buffer fills
    }
  }

  /** Writes the buffered rows and reports every chunk now complete. */
  public void flush() throws IOException {
    buf.flip();
    int n = buf.remaining();
    writeAt(buf, flushedTo);
    buf.clear();
    flushedTo += n;
    int complete = (int) (flushedTo / chunkSize);
    while (nextChunkToReport < complete) {
      chunkDone.accept(nextChunkToReport++);
    }
  }

  /**
   * Flushes the last rows and rewrites the header with the final shape; returns the file size. The caller
   * then sends chunk 0 (header) and the last, partial chunk.
   */
  public long finish() throws IOException {
    flush();
    writeAt(ByteBuffer.wrap(NpyHeader.encode(rows, dim, headerLength)), 0);
    return flushedTo;
  }

  /** Index of the first chunk not yet reported complete (chunks from here to the end are still owed). */
  public int firstUnreportedChunk() {
    return nextChunkToReport;
  }

  private void writeAt(ByteBuffer src, long position) throws IOException {
    long pos = position;
    while (src.hasRemaining()) {
      pos += channel.write(src, pos);
    }
  }
}

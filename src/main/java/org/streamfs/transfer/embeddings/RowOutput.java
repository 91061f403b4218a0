package org.streamfs.transfer.embeddings;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes rows handed out by a {@link RowReader} to a stream as they arrive: a {@code .npy} file of known
 * shape (header first) or CSV (one row per line, values in Java's shortest round-trip decimal form, which
 * NumPy parses back to the same float32). Memory: one buffer, whatever the number of rows.
 */
public final class RowOutput implements RowReader.RowSink, AutoCloseable {
  /** Output formats of {@code streamfs embeddings get}. */
  public enum Format { NPY, CSV }

  private final OutputStream out;
  private final Format format;
  private final ByteBuffer rowBuf;
  private final StringBuilder line = new StringBuilder();
  private final long expectedRows;
  private long rows;

  /** Starts the output of {@code rows} rows of dimension {@code dim} (writes the .npy header now). */
  public RowOutput(OutputStream out, Format format, long rows, int dim) throws IOException {
    this.out = new BufferedOutputStream(out, 1 << 16);
    this.format = format;
    this.expectedRows = rows;
    this.rowBuf = ByteBuffer.allocate(dim * NpyHeader.VALUE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    if (format == Format.NPY) {
      this.out.write(NpyHeader.encode(rows, dim));
    }
  }

  @Override
  public void accept(long row, float[] v) throws IOException {
    if (format == Format.NPY) {
      rowBuf.clear();
      rowBuf.asFloatBuffer().put(v);
      out.write(rowBuf.array());
    } else {
      line.setLength(0);
      for (int i = 0; i < v.length; i++) {
        if (i > 0) {
          line.append(',');
        }
        line.append(v[i]);
      }
      line.append('\n');
      out.write(line.toString().getBytes(StandardCharsets.US_ASCII));
    }
    rows++;
  }

  /** Flushes; fails if fewer rows arrived than the header announced (the .npy would be invalid). */
  @Override
  public void close() throws IOException {
    out.flush();
    if (rows != expectedRows) {
      throw new IOException("wrote " + rows + " rows, expected " + expectedRows);
    }
  }
}

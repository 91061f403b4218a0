package org.streamfs.transfer.embeddings;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Vectors read from a stream of raw float32 little-endian values, {@code dim} per vector, with nothing else
 * (a raw file, a pipe on standard input). The length is checked as the stream ends: a trailing partial
 * vector fails with the total length and the expected multiple of dim*4. Used for {@code .npy} data after
 * its header too, where the declared row count must match the bytes present.
 */
public final class RawFloat32Source implements EmbeddingSource {
  private final InputStream in;
  private final int dim;
  private final String name;
  private final long expectedRows;
  private final byte[] buf;
  private final ByteBuffer view;
  private long rows;
  private boolean done;

  /** Raw input of unknown length. */
  public RawFloat32Source(InputStream in, int dim, String name) {
    this(in, dim, name, -1);
  }

  /** Input that must hold exactly {@code expectedRows} vectors (-1 = unknown). */
  RawFloat32Source(InputStream in, int dim, String name, long expectedRows) {
    if (dim <= 0) {
      throw new IllegalArgumentException("dimension must be positive, got " + dim);
    }
    this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
    this.dim = dim;
    this.name = name;
    this.expectedRows = expectedRows;
    this.buf = new byte[dim * NpyHeader.VALUE_BYTES];
    this.view = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public long knownRows() {
    return expectedRows;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public float[] next() throws IOException {
    if (done) {
      return null;
    }
    if (expectedRows >= 0 && rows == expectedRows) {
      done = true;
      if (in.read() >= 0) {
        throw new EmbeddingFormatException(name + ": more data than the " + expectedRows
            + " rows the header declares");
      }
      return null;
    }
    int n = in.readNBytes(buf, 0, buf.length);
    if (n == 0) {
      done = true;
      if (expectedRows >= 0) {
        throw new EmbeddingFormatException(name + ": truncated: the header declares " + expectedRows
            + " rows but the data ends after " + rows);
      }
      return null;
    }
    if (n < buf.length) {
      done = true;
      long length = rows * buf.length + n;
      throw new EmbeddingFormatException(name + ": length " + length + " bytes is not a multiple of dim*4 = "
          + buf.length + " (dim " + dim + "): " + rows + " whole vectors and " + n + " bytes left over");
    }
    float[] v = new float[dim];
    view.clear();
    view.asFloatBuffer().get(v);
    rows++;
    return v;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}

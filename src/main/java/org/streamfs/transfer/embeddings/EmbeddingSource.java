package org.streamfs.transfer.embeddings;

import java.io.Closeable;
import java.io.IOException;
import java.util.Iterator;

/**
 * A stream of float32 vectors of one dimension, read one at a time: the whole matrix is never in memory and
 * the number of vectors need not be known in advance ({@link #knownRows()} is -1 then). {@link #next}
 * returns null at the end and throws {@link EmbeddingFormatException} for malformed input (a truncated last
 * vector, a vector of another dimension). Not thread-safe.
 */
public interface EmbeddingSource extends Closeable {

  /** The dimension every vector has. */
  int dim();

  /** The next vector (length {@link #dim()}), or null when there are no more. */
  float[] next() throws IOException;

  /** Number of vectors if the input declares it (a {@code .npy} header), else -1. */
  default long knownRows() {
    return -1;
  }

  /** A description for error messages (a file name, "standard input"). */
  default String name() {
    return "embeddings";
  }

  @Override
  default void close() throws IOException {}

  /**
   * Vectors from an iterator (e.g. produced by a model as they are computed). Each must have {@code dim}
   * values; one that does not fails {@link #next} with the row number and both dimensions.
   */
  static EmbeddingSource of(int dim, Iterator<float[]> vectors) {
    return new IteratorSource(dim, vectors);
  }

  /** The iterator adapter of {@link EmbeddingSource#of}. */
  final class IteratorSource implements EmbeddingSource {
    private final int dim;
    private final Iterator<float[]> vectors;
    private long row;

    IteratorSource(int dim, Iterator<float[]> vectors) {
      if (dim <= 0) {
        throw new IllegalArgumentException("dimension must be positive, got " + dim);
      }
      this.dim = dim;
      this.vectors = vectors;
    }

    @Override
    public int dim() {
      return dim;
    }

    @Override
    public float[] next() throws IOException {
      if (!vectors.hasNext()) {
        return null;
      }
      float[] v = vectors.next();
      if (v == null || v.length != dim) {
        throw new EmbeddingFormatException("vector " + row + " has dimension "
            + (v == null ? "null" : String.valueOf(v.length)) + ", expected " + dim);
      }
      row++;
      return v;
    }

    @Override
    public String name() {
      return "vector iterator";
    }
  }
}

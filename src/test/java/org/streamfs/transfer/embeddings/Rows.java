package org.streamfs.transfer.embeddings;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Deterministic test matrices: the value at (row, col) is a hash of both mapped to an exactly representable
 * float in [-1, 1), so any row can be recomputed (expected values without storing the matrix) and a row or
 * column off by one never matches. The same formula is used by the Python checks ({@link #PYTHON_FN}).
 */
final class Rows {
  private Rows() {}

  /** The value at (row, col). */
  static float value(long row, int col) {
    long h = row * 0x9E3779B97F4A7C15L + col * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    int bits23 = (int) ((h >>> 40) & 0x7FFFFF); // 23 bits, exact in a float
    return bits23 / (float) (1 << 22) - 1.0f;
  }

  static float[] row(long row, int dim) {
    float[] v = new float[dim];
    for (int c = 0; c < dim; c++) {
      v[c] = value(row, c);
    }
    return v;
  }

  /** Rows [0, count) generated on demand. */
  static Iterator<float[]> iterator(long count, int dim) {
    return new Iterator<>() {
      long next;

      @Override
      public boolean hasNext() {
        return next < count;
      }

      @Override
      public float[] next() {
        if (next >= count) {
          throw new NoSuchElementException();
        }
        return row(next++, dim);
      }
    };
  }

  static EmbeddingSource source(long count, int dim) {
    return EmbeddingSource.of(dim, iterator(count, dim));
  }

  /** The same function in Python (numpy uint64 arithmetic wraps like Java's long). */
  static final String PYTHON_FN = String.join("\n",
      "import numpy as np",
      "M = (1 << 64) - 1",
      "def value(r, c):",
      "    h = (r * 0x9E3779B97F4A7C15 + c * 0xC2B2AE3D27D4EB4F + 0x165667B19E3779F9) & M",
      "    h ^= h >> 31",
      "    h = (h * 0xBF58476D1CE4E5B9) & M",
      "    h ^= h >> 29",
      "    return np.float32(((h >> 40) & 0x7FFFFF) / float(1 << 22) - 1.0)",
      "def row(r, dim):",
      "    return np.array([value(r, c) for c in range(dim)], dtype=np.float32)",
      "");
}

package org.streamfs.transfer.embeddings;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the inputs the CLI accepts as {@link EmbeddingSource}s: {@code -} (raw float32 on standard input),
 * a {@code .npy} file (recognised by its magic, whatever its name), or a raw float32 file. Raw inputs need
 * the dimension; for {@code .npy} it comes from the header and a given dimension must agree with it.
 */
public final class EmbeddingSources {
  private EmbeddingSources() {}

  /** Raw float32 vectors from standard input. */
  public static EmbeddingSource stdin(int dim) {
    return new RawFloat32Source(new NonClosing(System.in), dim, "standard input");
  }

  /** A {@code .npy} matrix read as a stream (header first, then rows; the file is never loaded whole). */
  public static EmbeddingSource npy(InputStream in, String name, Integer dim) throws IOException {
    BufferedInputStream bin = new BufferedInputStream(in, 1 << 16);
    NpyHeader h;
    try {
      h = NpyHeader.parse(bin, name);
    } catch (IOException e) {
      bin.close();
      throw e;
    }
    if (dim != null && dim != h.dim()) {
      bin.close();
      throw new EmbeddingFormatException(name + ": dimension mismatch: --dim " + dim + " but the file holds "
          + "vectors of dimension " + h.dim() + " (shape (" + h.rows() + ", " + h.dim() + "))");
    }
    return new RawFloat32Source(bin, h.dim(), name, h.rows());
  }

  /**
   * Opens {@code input}: "-" for standard input (raw, needs {@code dim}), else a file that is read as
   * {@code .npy} when it starts with the NumPy magic and as raw float32 otherwise.
   */
  public static EmbeddingSource open(String input, Integer dim) throws IOException {
    if (input.equals("-")) {
      if (dim == null) {
        throw new EmbeddingFormatException("standard input is read as raw float32: give --dim");
      }
      return stdin(dim);
    }
    Path p = Path.of(input);
    if (!Files.isRegularFile(p)) {
      throw new FileNotFoundException(input + ": no such file");
    }
    if (looksLikeNpy(p)) {
      return npy(Files.newInputStream(p), input, dim);
    }
    if (input.endsWith(".npy")) {
      throw new EmbeddingFormatException(input + ": named .npy but has no NumPy header (\\x93NUMPY magic)");
    }
    if (dim == null) {
      throw new EmbeddingFormatException(input + " is read as raw float32: give --dim");
    }
    long size = Files.size(p);
    long rowBytes = (long) dim * NpyHeader.VALUE_BYTES;
    if (size % rowBytes != 0) {
      throw new EmbeddingFormatException(input + ": length " + size + " bytes is not a multiple of dim*4 = "
          + rowBytes + " (dim " + dim + ")");
    }
    return new RawFloat32Source(Files.newInputStream(p), dim, input, size / rowBytes);
  }

  private static boolean looksLikeNpy(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      byte[] m = in.readNBytes(6);
      return m.length == 6 && (m[0] & 0xff) == 0x93 && m[1] == 'N' && m[2] == 'U' && m[3] == 'M'
          && m[4] == 'P' && m[5] == 'Y';
    }
  }

  /** Standard input must stay open for the rest of the process. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}

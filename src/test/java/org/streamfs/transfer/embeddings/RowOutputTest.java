package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The get command's outputs, checked by a real NumPy: .npy loads, CSV parses back to the same float32s. */
class RowOutputTest {
  @TempDir Path dir;

  private Path write(RowOutput.Format format, long from, int count, int dim) throws IOException {
    Path f = dir.resolve("out." + format.name().toLowerCase());
    try (OutputStream os = Files.newOutputStream(f); RowOutput out = new RowOutput(os, format, count, dim)) {
      for (long r = from; r < from + count; r++) {
        out.accept(r, Rows.row(r, dim));
      }
    }
    return f;
  }

  @Test
  void npyAndCsvMatchTheRowsInNumpy() throws Exception {
    Python.assumeNumpy();
    Path npy = write(RowOutput.Format.NPY, 1000, 50, 9);
    Path csv = write(RowOutput.Format.CSV, 1000, 50, 9);
    String out = Python.run(String.join("\n",
        "import sys",
        "a = np.load(sys.argv[1])",
        "b = np.loadtxt(sys.argv[2], delimiter=',', dtype=np.float32, ndmin=2)",
        "exp = np.stack([row(r, 9) for r in range(1000, 1050)])",
        "assert (a == exp).all() and (b == exp).all()",
        "print(a.shape, b.shape)"), npy.toString(), csv.toString());
    assertEquals("(50, 9) (50, 9)", out);
  }

  @Test
  void missingRowsAreAnError() throws IOException {
    OutputStream os = OutputStream.nullOutputStream();
    RowOutput out = new RowOutput(os, RowOutput.Format.NPY, 3, 2);
    out.accept(0, new float[2]);
    assertThrows(IOException.class, out::close);
  }
}

package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ~300 MB matrix generated on the fly is written as .npy in a child JVM limited to -Xmx64m (so it cannot
 * hold the matrix), then random row ranges are read back by chunks and compared with the generator, and a
 * real NumPy opens it with mmap_mode="r".
 */
class StreamingMemoryTest {
  static final int DIM = 768;
  static final long ROWS = 300L * 1024 * 1024 / (DIM * 4); // 102,400 rows = 300 MiB of data
  static final long CHUNK = 10L * 1024 * 1024;

  @TempDir Path dir;

  @Test
  void threeHundredMegabytesIn64MegabyteHeap() throws Exception {
    Path npy = dir.resolve("big.npy");
    Path log = dir.resolve("child.log");
    Process p = ChildJvm.start("64m", log, BigMatrixWriter.class, npy.toString(), Long.toString(ROWS),
        Integer.toString(DIM), Long.toString(CHUNK));
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child timed out");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    long size = 128 + ROWS * DIM * 4;
    assertTrue(out.contains("size=" + size + " chunks=" + (size / CHUNK - 1)), out);
    assertEquals(size, Files.size(npy));

    try (FileChannel ch = FileChannel.open(npy, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(128);
      ch.read(head, 0);
      RowReader reader = new RowReader(NpyHeader.parse(head.array(), "big"), size, CHUNK,
          RowReader.into((int) CHUNK, (i, dst) -> ch.read(dst, i * CHUNK)), "big");
      Random rnd = new Random(42);
      for (int t = 0; t < 20; t++) {
        long from = (long) (rnd.nextDouble() * ROWS);
        int count = (int) Math.min(ROWS - from, rnd.nextInt(5000));
        long[] row = {from};
        reader.read(from, count, (r, v) -> {
          assertEquals(row[0]++, r);
          assertArrayEquals(Rows.row(r, DIM), v, "row " + r);
        });
        assertEquals(from + count, row[0]);
      }
    }
    if (Python.numpyAvailable()) {
      String res = Python.run(String.join("\n",
          "import sys",
          "a = np.load(sys.argv[1], mmap_mode='r')",
          "for r in (0, 4097, a.shape[0] - 1):",
          "    assert (a[r] == row(r, a.shape[1])).all(), r",
          "print(a.shape)"), npy.toString());
      assertEquals("(" + ROWS + ", " + DIM + ")", res);
    }
    Files.delete(npy);
  }
}

package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npy header and writer against the format and against a real NumPy, in both directions. */
class NpyFormatTest {
  @TempDir Path dir;

  @Test
  void headerRoundTripsAndIsAlignedPadded() throws IOException {
    for (long rows : new long[] {0, 1, 7, 123_456_789_012L, Long.MAX_VALUE / 8192}) {
      for (int dim : new int[] {1, 3, 768, 4096, 1 << 20}) {
        byte[] h = NpyHeader.encode(rows, dim);
        assertEquals(NpyHeader.FIXED_LENGTH, h.length);
        assertEquals(0, h.length % 64, "header length multiple of 64");
        assertEquals('\n', h[h.length - 1]);
        NpyHeader parsed = NpyHeader.parse(h, "x");
        assertEquals(new NpyHeader(rows, dim, NpyHeader.FIXED_LENGTH), parsed);
      }
    }
    byte[] h256 = NpyHeader.encode(5, 8, 256);
    assertEquals(256, h256.length);
    assertEquals(new NpyHeader(5, 8, 256), NpyHeader.parse(h256, "x"));
  }

  @Test
  void parsesVersion2HeadersAndTolerantSpacing() throws IOException {
    String dict = "{\"descr\":'<f4',  'shape':(12,4),'fortran_order':False}";
    ByteBuffer b = ByteBuffer.allocate(12 + dict.length() + 1).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(dict.length() + 1);
    b.put((dict + "\n").getBytes(StandardCharsets.US_ASCII));
    NpyHeader h = NpyHeader.parse(b.array(), "v2");
    assertEquals(new NpyHeader(12, 4, b.capacity()), h);
  }

  @Test
  void refusesWhatIsNotFloat32CMatrixWithClearMessages() {
    assertMessage("dtype '<f8' is not supported", header("{'descr': '<f8', 'fortran_order': False, "
        + "'shape': (3, 4), }"));
    assertMessage("big-endian", header("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }"));
    assertMessage("Fortran-order", header("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }"));
    assertMessage("not a matrix", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
    assertMessage("not a matrix", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5), }"));
    assertMessage("structured", header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3, 4), }"));
    assertMessage("not a NumPy .npy file", "hello world, not numpy".getBytes(StandardCharsets.US_ASCII));
    assertMessage("truncated", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 100, 0, '{'});
    byte[] v9 = header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
    v9[6] = 9;
    assertMessage("unsupported .npy format version 9", v9);
  }

  private static void assertMessage(String expected, byte[] header) {
    EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class,
        () -> NpyHeader.parse(new ByteArrayInputStream(header), "in.npy"));
    assertTrue(e.getMessage().contains(expected) && e.getMessage().startsWith("in.npy"),
        "message '" + e.getMessage() + "' should contain '" + expected + "'");
  }

  private static byte[] header(String dict) {
    ByteBuffer b = ByteBuffer.allocate(10 + dict.length() + 1).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) (dict.length() + 1));
    b.put((dict + "\n").getBytes(StandardCharsets.US_ASCII));
    return b.array();
  }

  @Test
  void appenderReportsEachChunkOnceInOrderNeverChunkZero() throws IOException {
    Path f = dir.resolve("a.npy");
    List<Integer> reported = new ArrayList<>();
    int dim = 5;
    long chunk = 1000;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      NpyAppender w = new NpyAppender(ch, dim, 128, 0, chunk, reported::add, false, "t");
      for (int r = 0; r < 1000; r++) {
        w.append(Rows.row(r, dim));
        if (r % 37 == 0) {
          w.flush();
          long written = 128 + (r + 1) * 20L;
          // every chunk wholly written is reported at the latest at flush
          assertEquals(Math.max(0, written / chunk - 1), reported.size());
        }
      }
      long size = w.finish();
      assertEquals(128 + 1000 * 20, size);
      assertEquals(size, Files.size(f));
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 1; i < (128 + 20_000) / 1000; i++) {
      expected.add(i);
    }
    assertEquals(expected, reported);
    assertEquals(new NpyHeader(1000, dim, 128), NpyHeader.parse(Files.readAllBytes(f), "a"));
  }

  @Test
  void numpyReadsWhatJavaWrites() throws Exception {
    Python.assumeNumpy();
    Path f = dir.resolve("java.npy");
    int dim = 37;
    long rows = 1234;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      NpyAppender w = NpyAppender.create(ch, dim, false);
      for (long r = 0; r < rows; r++) {
        w.append(Rows.row(r, dim));
      }
      w.finish();
    }
    String out = Python.run(String.join("\n",
        "import sys",
        "a = np.load(sys.argv[1], mmap_mode='r')",
        "assert a.dtype == np.float32 and a.dtype.byteorder in '<=', a.dtype",
        "assert a.flags['C_CONTIGUOUS']",
        "for r in (0, 1, 617, a.shape[0] - 1):",
        "    assert (a[r] == row(r, a.shape[1])).all(), r",
        "print(a.shape[0], a.shape[1])"), f.toString());
    assertEquals(rows + " " + dim, out);
  }

  @Test
  void javaReadsWhatNumpyWrites() throws Exception {
    Python.assumeNumpy();
    Path f = dir.resolve("numpy.npy");
    int dim = 19;
    int rows = 501;
    Python.run(String.join("\n",
        "import sys",
        "a = np.stack([row(r, " + dim + ") for r in range(" + rows + ")])",
        "np.save(sys.argv[1], a)"), f.toString());
    try (EmbeddingSource src = EmbeddingSources.open(f.toString(), null)) {
      assertEquals(dim, src.dim());
      assertEquals(rows, src.knownRows());
      long r = 0;
      for (float[] v = src.next(); v != null; v = src.next()) {
        assertArrayEquals(Rows.row(r, dim), v, "row " + r);
        r++;
      }
      assertEquals(rows, r);
    }
    // the header NumPy wrote (its length and version) is accepted and rows are found at the right offset
    NpyHeader h = NpyHeader.parse(Files.readAllBytes(f), "numpy.npy");
    assertEquals(0, h.headerLength() % 64);
    assertEquals(Files.size(f), h.fileSize());
  }
}

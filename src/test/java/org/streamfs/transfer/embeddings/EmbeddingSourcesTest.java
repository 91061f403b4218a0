package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input readers and validation: every kind of bad input fails with a message naming what was wrong. */
class EmbeddingSourcesTest {
  @TempDir Path dir;

  private static byte[] raw(long rows, int dim) {
    ByteBuffer b = ByteBuffer.allocate((int) (rows * dim * 4)).order(ByteOrder.LITTLE_ENDIAN);
    for (long r = 0; r < rows; r++) {
      for (int c = 0; c < dim; c++) {
        b.putFloat(Rows.value(r, c));
      }
    }
    return b.array();
  }

  @Test
  void readsRawFileAndStream() throws IOException {
    Path f = dir.resolve("v.f32");
    Files.write(f, raw(50, 6));
    try (EmbeddingSource s = EmbeddingSources.open(f.toString(), 6)) {
      assertEquals(50, s.knownRows());
      for (int r = 0; r < 50; r++) {
        assertArrayEquals(Rows.row(r, 6), s.next());
      }
      assertNull(s.next());
    }
    EmbeddingSource stream = new RawFloat32Source(new ByteArrayInputStream(raw(3, 2)), 2, "pipe");
    assertEquals(-1, stream.knownRows());
    assertArrayEquals(Rows.row(2, 2), new float[][] {stream.next(), stream.next(), stream.next()}[2]);
    assertNull(stream.next());
  }

  @Test
  void rawLengthNotAMultipleOfDimTimesFour() throws IOException {
    Path f = dir.resolve("odd.f32");
    Files.write(f, new byte[4 * 10 + 3]);
    EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class,
        () -> EmbeddingSources.open(f.toString(), 5));
    assertTrue(e.getMessage().contains("length 43 bytes is not a multiple of dim*4 = 20"), e.getMessage());

    // a stream (length unknown in advance) fails when it ends inside a vector
    byte[] data = new byte[4 * 7];
    EmbeddingSource s = new RawFloat32Source(new ByteArrayInputStream(data), 3, "standard input");
    s.next();
    s.next();
    e = assertThrows(EmbeddingFormatException.class, s::next);
    assertTrue(e.getMessage().contains("standard input: length 28 bytes is not a multiple of dim*4 = 12"),
        e.getMessage());
    assertTrue(e.getMessage().contains("2 whole vectors and 4 bytes left over"), e.getMessage());
  }

  @Test
  void missingDimMissingFileAndFakeNpy() throws IOException {
    Path f = dir.resolve("v.f32");
    Files.write(f, raw(2, 2));
    assertTrue(assertThrows(EmbeddingFormatException.class, () -> EmbeddingSources.open(f.toString(), null))
        .getMessage().contains("give --dim"));
    assertTrue(assertThrows(EmbeddingFormatException.class, () -> EmbeddingSources.open("-", null))
        .getMessage().contains("standard input"));
    assertThrows(FileNotFoundException.class, () -> EmbeddingSources.open(dir.resolve("no").toString(), 2));
    Path fake = dir.resolve("fake.npy");
    Files.write(fake, raw(2, 2));
    assertTrue(assertThrows(EmbeddingFormatException.class, () -> EmbeddingSources.open(fake.toString(), 2))
        .getMessage().contains("no NumPy header"));
  }

  private Path npy(long rows, int dim, long declaredRows) throws IOException {
    Path f = dir.resolve("m" + rows + "x" + dim + "d" + declaredRows + ".npy");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(NpyHeader.encode(declaredRows, dim)));
      ch.write(ByteBuffer.wrap(raw(rows, dim)));
    }
    return f;
  }

  @Test
  void npyDimensionMismatchAndTruncation() throws IOException {
    Path ok = npy(4, 3, 4);
    try (EmbeddingSource s = EmbeddingSources.open(ok.toString(), 3)) {
      assertEquals(3, s.dim());
      assertEquals(4, s.knownRows());
    }
    EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class,
        () -> EmbeddingSources.open(ok.toString(), 8));
    assertTrue(e.getMessage().contains("dimension mismatch: --dim 8 but the file holds vectors of dimension 3"),
        e.getMessage());

    Path truncated = npy(4, 3, 6);
    try (EmbeddingSource s = EmbeddingSources.open(truncated.toString(), null)) {
      for (int i = 0; i < 4; i++) {
        s.next();
      }
      e = assertThrows(EmbeddingFormatException.class, s::next);
      assertTrue(e.getMessage().contains("declares 6 rows but the data ends after 4"), e.getMessage());
    }
    Path extra = npy(5, 3, 4);
    try (EmbeddingSource s = EmbeddingSources.open(extra.toString(), null)) {
      for (int i = 0; i < 4; i++) {
        s.next();
      }
      e = assertThrows(EmbeddingFormatException.class, s::next);
      assertTrue(e.getMessage().contains("more data than the 4 rows"), e.getMessage());
    }
  }

  @Test
  void nonFiniteValuesRefusedUnlessAllowed() throws IOException {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      Path f = dir.resolve("nan" + Float.floatToRawIntBits(bad) + ".npy");
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        NpyAppender w = NpyAppender.create(ch, 4, false);
        w.append(Rows.row(0, 4));
        float[] v = Rows.row(1, 4);
        v[2] = bad;
        EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class, () -> w.append(v));
        assertTrue(e.getMessage().contains("row 1, column 2 is " + bad), e.getMessage());
        assertEquals(1, w.rows(), "the bad row is not counted");
      }
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        NpyAppender w = NpyAppender.create(ch, 4, true);
        float[] v = Rows.row(1, 4);
        v[2] = bad;
        w.append(v);
        assertEquals(1, w.rows());
      }
    }
  }

  @Test
  void vectorOfWrongDimensionOnAppend() throws IOException {
    try (FileChannel ch = FileChannel.open(dir.resolve("d.npy"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      NpyAppender w = NpyAppender.create(ch, 4, false);
      w.append(new float[4]);
      EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class, () -> w.append(new float[5]));
      assertTrue(e.getMessage().contains("dimension mismatch at row 1: vector of 5 values, the collection "
          + "has dimension 4"), e.getMessage());
    }
    EmbeddingSource it = EmbeddingSource.of(3, List.of(new float[3], new float[2]).iterator());
    it.next();
    assertTrue(assertThrows(EmbeddingFormatException.class, it::next).getMessage()
        .contains("vector 1 has dimension 2, expected 3"));
  }
}

package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Row ranges read from chunks of a real .npy file, with chunk sizes from smaller than a row to larger than
 * the file: the rows match the generator and only the chunks holding them are fetched.
 */
class RowReaderTest {
  @TempDir Path dir;

  private Path write(long rows, int dim) throws IOException {
    Path f = dir.resolve("m.npy");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      NpyAppender w = NpyAppender.create(ch, dim, false);
      for (long r = 0; r < rows; r++) {
        w.append(Rows.row(r, dim));
      }
      w.finish();
    }
    return f;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 7, 52, 128, 129, 1000, 4096, 1 << 20})
  void randomRangesMatchAndFetchOnlyTheirChunks(long chunkSize) throws IOException {
    int dim = 13;
    long rows = 777;
    Path f = write(rows, dim);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      List<Integer> fetched = new ArrayList<>();
      RowReader reader = new RowReader(NpyHeader.parse(readHead(ch), "m"), size, chunkSize,
          RowReader.into((int) Math.min(chunkSize, size), (i, dst) -> {
        fetched.add(i);
        assertEquals(Math.min(chunkSize, size - i * chunkSize), dst.remaining());
        ch.read(dst, i * chunkSize);
      }), "m");
      Random rnd = new Random(chunkSize);
      for (int t = 0; t < 40; t++) {
        long from = rnd.nextInt((int) rows + 1);
        int count = rnd.nextInt((int) (rows - from) + 1);
        fetched.clear();
        float[][] got = reader.read(from, count);
        for (int i = 0; i < count; i++) {
          assertArrayEquals(Rows.row(from + i, dim), got[i], "row " + (from + i));
        }
        long start = 128 + from * dim * 4L;
        long end = 128 + (from + count) * dim * 4L;
        int expectedChunks = count == 0 ? 0 : (int) ((end - 1) / chunkSize - start / chunkSize + 1);
        assertEquals(expectedChunks, fetched.size(), "chunks fetched for rows " + from + "+" + count);
        if (count > 0) {
          assertEquals((int) (start / chunkSize), fetched.get(0));
        }
      }
    }
  }

  @Test
  void outOfRangeIsAClearError() throws IOException {
    Path f = write(10, 2);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      RowReader reader = new RowReader(NpyHeader.parse(readHead(ch), "m"), ch.size(), 64,
          RowReader.into(64, (i, dst) -> ch.read(dst, i * 64L)), "collection m");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.read(8, 3));
      assertEquals("rows 8:11 are out of range: collection m has 10 rows", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> reader.read(-1, 1));
      assertEquals(0, reader.read(10, 0).length);
      EmbeddingFormatException short_ = assertThrows(EmbeddingFormatException.class,
          () -> new RowReader(NpyHeader.parse(readHead(ch), "m"), ch.size() - 1, 64, (i, n) -> null, "m"));
      assertTrue(short_.getMessage().contains("shorter than its .npy header declares"));
    }
  }

  private static byte[] readHead(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
    ch.read(b, 0);
    return b.array();
  }
}

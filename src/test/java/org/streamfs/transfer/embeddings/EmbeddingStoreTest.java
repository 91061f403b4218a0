package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;

/**
 * Collections through the real engine, catalog and LocalStore: upload while generating, every data chunk
 * sent exactly once (only the header chunk at the end), random row ranges fetching only their chunks,
 * info, append with server-side copies, and bad input leaving nothing behind.
 */
class EmbeddingStoreTest {
  static final long CHUNK = 64 * 1024;
  @TempDir Path dir;
  EngineFixture fx;

  @BeforeEach
  void start() throws IOException {
    fx = new EngineFixture(dir, CHUNK);
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  @Test
  void anotherStateDirReadsRowsVerifiedAndRefusesBitRot() throws Exception {
    int dim = 16;
    long rows = 8_000; // 512 KB: 8 chunks
    EmbeddingInfo info = fx.embeddings.uploadEmbeddings(Rows.source(rows, dim), "rot", EmbeddingOptions.DEFAULTS);
    float[][] want = fx.embeddings.readEmbeddings("rot", 5_000, 10);
    try (EngineFixture other = new EngineFixture(fx.storeRoot, dir.resolve("state-2"), CHUNK)) {
      assertTrue(other.engine.manifest(other.store.stat(info.key())).verifiable(), "found in the store");
      assertArrayEquals(want, other.embeddings.readEmbeddings("rot", 5_000, 10));
    }
    Path object = fx.objectFile(info.key());
    java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(object);
    long at = 128 + 5_000L * dim * 4 + 8; // inside row 5,000
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(object.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 1);
    }
    Files.setLastModifiedTime(object, mtime);
    try (EngineFixture other = new EngineFixture(fx.storeRoot, dir.resolve("state-3"), CHUNK)) {
      org.streamfs.model.ChecksumMismatchException e = assertThrows(
          org.streamfs.model.ChecksumMismatchException.class, () -> other.embeddings.readEmbeddings("rot", 5_000, 10));
      assertEquals((int) (at / CHUNK), e.chunkIndex());
    }
  }

  @Test
  void uploadsReadsRangesAndReportsInfo() throws Exception {
    int dim = 48;
    long rows = 10_000; // 1.9 MB: 30 chunks
    EmbeddingInfo info = fx.embeddings.uploadEmbeddings(Rows.source(rows, dim), "docs", EmbeddingOptions.DEFAULTS);
    long size = 128 + rows * dim * 4;
    assertEquals("embeddings/docs.npy", info.key());
    assertEquals(rows, info.rows());
    assertEquals(dim, info.dim());
    assertEquals(size, info.size());
    assertEquals(CHUNK, info.chunkSize());
    Path object = fx.objectFile(info.key());
    assertEquals(Sha256.hex(Sha256.digest(Files.readAllBytes(object))), info.sha256());
    assertEquals(info, fx.embeddings.info("docs"));
    // the checksum also travels in the object's metadata, for readers without this catalog's manifest
    assertEquals(info.sha256(), fx.store.stat(info.key()).metadata().get("streamfs-sha256"));
    assertEquals(info.sha256(), fx.engine.manifest(fx.store.stat(info.key())).sha256(), "engine agrees");

    // each part sent once: data chunks while generating, chunk 0 (header) at the end, never twice
    int chunks = (int) ((size + CHUNK - 1) / CHUNK);
    assertEquals(chunks, fx.store.partsSent.size());
    fx.store.partsSent.forEach((part, n) -> assertEquals(1, n.get(), "part " + part + " sent " + n + " times"));
    try (Stream<Path> s = Files.list(fx.stagingDir)) {
      assertEquals(0, s.count(), "staging file removed after completion");
    }

    Random rnd = new Random(7);
    for (int t = 0; t < 30; t++) {
      long from = rnd.nextInt((int) rows);
      int count = rnd.nextInt((int) Math.min(700, rows - from)) + 1;
      float[][] got = fx.embeddings.readEmbeddings("docs", from, count);
      assertEquals(count, got.length);
      for (int i = 0; i < count; i++) {
        assertArrayEquals(Rows.row(from + i, dim), got[i], "row " + (from + i));
      }
    }
    // only the chunks holding the rows are read: row 5000 (one row) lies in a single chunk
    fx.store.reset();
    fx.embeddings.readEmbeddings("docs", 5000, 1);
    assertTrue(fx.store.reads.get() <= 1, "reads for one row: " + fx.store.reads.get());
    // walking the collection in batches smaller than a chunk fetches each chunk once (chunk cache)
    fx.store.reset();
    for (long from = 0; from < rows; from += 50) {
      float[][] batch = fx.embeddings.readEmbeddings("docs", from, (int) Math.min(50, rows - from));
      assertArrayEquals(Rows.row(from, dim), batch[0]);
    }
    assertTrue(fx.store.reads.get() <= chunks, "reads " + fx.store.reads + " for " + chunks + " chunks");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fx.embeddings.readEmbeddings("docs", rows - 1, 2));
    assertTrue(e.getMessage().contains("has " + rows + " rows"), e.getMessage());
    assertThrows(NoSuchFileException.class, () -> fx.embeddings.info("nope"));

    if (Python.numpyAvailable()) {
      String out = Python.run(String.join("\n",
          "import sys",
          "a = np.load(sys.argv[1], mmap_mode='r')",
          "for r in (0, 1, 4321, a.shape[0] - 1):",
          "    assert (a[r] == row(r, a.shape[1])).all(), r",
          "print(a.shape)"), object.toString());
      assertEquals("(" + rows + ", " + dim + ")", out);
    }
  }

  @Test
  void smallAndEmptyCollections() throws Exception {
    EmbeddingInfo one = fx.embeddings.uploadEmbeddings(Rows.source(3, 4), "tiny", EmbeddingOptions.DEFAULTS);
    assertEquals(3, one.rows());
    assertArrayEquals(Rows.row(2, 4), fx.embeddings.readEmbeddings("tiny", 2, 1)[0]);
    EmbeddingInfo empty = fx.embeddings.uploadEmbeddings(Rows.source(0, 4), "empty", EmbeddingOptions.DEFAULTS);
    assertEquals(0, empty.rows());
    assertEquals(128, empty.size());
    assertEquals(0, fx.embeddings.readEmbeddings("empty", 0, 0).length);
  }

  @Test
  void streamingManagerDelegates() throws Exception {
    EmbeddingInfo info = fx.engine.uploadEmbeddings(Rows.source(2000, 8), "via-engine", EmbeddingOptions.DEFAULTS);
    assertEquals(2000, info.rows());
    float[][] got = fx.engine.readEmbeddings("via-engine", 1990, 10);
    for (int i = 0; i < 10; i++) {
      assertArrayEquals(Rows.row(1990 + i, 8), got[i]);
    }
    assertEquals(fx.catalog.dir().resolve("embeddings"), fx.engine.embeddings().stagingDir());
  }

  /** Vectors 0..n-1 from the generator, then one with a NaN at row {@code bad}. */
  private static EmbeddingSource withNanAt(long bad, int dim) {
    Iterator<float[]> good = Rows.iterator(bad, dim);
    return EmbeddingSource.of(dim, new Iterator<>() {
      boolean done;

      @Override
      public boolean hasNext() {
        return !done;
      }

      @Override
      public float[] next() {
        if (good.hasNext()) {
          return good.next();
        }
        done = true;
        float[] v = Rows.row(bad, dim);
        v[dim / 2] = Float.NaN;
        return v;
      }
    });
  }

  private void assertNothingLeftFor(String key) throws IOException {
    assertThrows(org.streamfs.store.StoreException.class, () -> fx.store.stat(key));
    assertEquals(0, fx.store.listUploads("").size(), "no multipart upload left on the store");
    try (Stream<Path> s = Files.list(fx.stagingDir)) {
      assertEquals(0, s.count(), "no staging file left");
    }
    assertTrue(fx.engine.listActiveOperations().isEmpty());
  }

  @Test
  void badInputMidUploadAbortsAndLeavesNoPartialCollection() throws Exception {
    int dim = 32;
    EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class,
        () -> fx.embeddings.uploadEmbeddings(withNanAt(5000, dim), "bad", EmbeddingOptions.DEFAULTS));
    assertTrue(e.getMessage().contains("row 5000, column 16 is NaN"), e.getMessage());
    assertTrue(fx.store.totalPartsSent() > 0, "chunks had been sent before the bad row");
    assertNothingLeftFor("embeddings/bad.npy");

    // raw input whose length is not a multiple of dim*4, discovered at its end
    byte[] raw = new byte[dim * 4 * 3000 + 6];
    e = assertThrows(EmbeddingFormatException.class, () -> fx.embeddings.uploadEmbeddings(
        new RawFloat32Source(new ByteArrayInputStream(raw), dim, "standard input"), "bad",
        EmbeddingOptions.DEFAULTS));
    assertTrue(e.getMessage().contains("not a multiple of dim*4 = 128"), e.getMessage());
    assertNothingLeftFor("embeddings/bad.npy");

    // NaN allowed on request
    EmbeddingInfo ok = fx.embeddings.uploadEmbeddings(withNanAt(10, dim), "nan",
        EmbeddingOptions.DEFAULTS.withAllowNonFinite(true));
    assertEquals(11, ok.rows());
    assertTrue(Float.isNaN(fx.embeddings.readEmbeddings("nan", 10, 1)[0][dim / 2]));
  }

  @Test
  void failedReplacementLeavesPreviousVersionUntouched() throws Exception {
    int dim = 16;
    EmbeddingInfo v1 = fx.embeddings.uploadEmbeddings(Rows.source(4000, dim), "c", EmbeddingOptions.DEFAULTS);
    assertThrows(EmbeddingFormatException.class,
        () -> fx.embeddings.uploadEmbeddings(withNanAt(3000, dim), "c", EmbeddingOptions.DEFAULTS));
    assertEquals(v1, fx.embeddings.info("c"));
    assertArrayEquals(Rows.row(3999, dim), fx.embeddings.readEmbeddings("c", 3999, 1)[0]);
  }

  @Test
  void appendCopiesOldChunksServerSideAndChecksDimension() throws Exception {
    int dim = 24;
    long first = 3000;  // 288,128 bytes: chunks 0..4
    long second = 2500;
    fx.embeddings.uploadEmbeddings(Rows.source(first, dim), "grow", EmbeddingOptions.DEFAULTS);
    EmbeddingFormatException e = assertThrows(EmbeddingFormatException.class, () -> fx.embeddings
        .uploadEmbeddings(Rows.source(5, dim + 1), "grow", EmbeddingOptions.DEFAULTS.withAppend(true)));
    assertTrue(e.getMessage().contains("dimension mismatch on append"), e.getMessage());

    fx.store.reset();
    // rows first..first+second-1 continue the generator's sequence
    Iterator<float[]> all = Rows.iterator(first + second, dim);
    for (long i = 0; i < first; i++) {
      all.next();
    }
    EmbeddingInfo info = fx.embeddings.uploadEmbeddings(EmbeddingSource.of(dim, all), "grow",
        EmbeddingOptions.DEFAULTS.withAppend(true));
    assertEquals(first + second, info.rows());
    assertTrue(fx.store.partsCopied.get() >= 3, "chunks 1..3 copied server-side: " + fx.store.partsCopied);
    assertFalse(fx.store.partsSent.containsKey(2), "an unchanged chunk is not re-sent");
    for (long r : new long[] {0, 1, first - 1, first, first + 1, first + second - 1}) {
      assertArrayEquals(Rows.row(r, dim), fx.embeddings.readEmbeddings("grow", r, 1)[0], "row " + r);
    }
    float[][] span = fx.embeddings.readEmbeddings("grow", first - 100, 200);
    for (int i = 0; i < 200; i++) {
      assertArrayEquals(Rows.row(first - 100 + i, dim), span[i]);
    }
    assertEquals(null, info.sha256(), "no whole-file checksum after an append (it would need a download)");
  }
}

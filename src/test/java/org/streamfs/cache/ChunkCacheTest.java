package org.streamfs.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunk cache: bounded LRU on disk, keyed by object version, one fetch per chunk. */
class ChunkCacheTest {
  @TempDir
  Path dir;
  final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static ChunkCache.Fetcher filled(byte value, AtomicInteger count) {
    return dst -> {
      count.incrementAndGet();
      byte[] b = new byte[dst.remaining()];
      Arrays.fill(b, value);
      dst.put(b);
    };
  }

  @Test
  void servesFromDiskAndEvictsLeastRecentlyUsed() throws Exception {
    ChunkCache c = new ChunkCache(dir, 300, 2, pool);
    AtomicInteger fetches = new AtomicInteger();
    ByteBuffer out = ByteBuffer.allocate(10);
    c.read(new ChunkCache.ChunkId("k", "v1", 0), 100, 5, out, filled((byte) 1, fetches));
    assertEquals(1, out.get(0));
    out.clear();
    c.read(new ChunkCache.ChunkId("k", "v1", 0), 100, 0, out, filled((byte) 9, fetches));
    assertEquals(1, out.get(0), "a cached chunk is not fetched again");
    assertEquals(1, fetches.get());
    for (int i = 1; i <= 3; i++) {
      out.clear();
      c.read(new ChunkCache.ChunkId("k", "v1", i), 100, 0, out, filled((byte) i, fetches));
    }
    assertTrue(c.size() <= 300, "bounded: " + c.size());
    assertFalse(c.contains(new ChunkCache.ChunkId("k", "v1", 0)), "the oldest chunk was evicted");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(3, s.count());
    }
  }

  @Test
  void aNewVersionIsNeverServedOldBytes() throws Exception {
    ChunkCache c = new ChunkCache(dir, 1000, 2, pool);
    AtomicInteger fetches = new AtomicInteger();
    ByteBuffer out = ByteBuffer.allocate(1);
    c.read(new ChunkCache.ChunkId("k", "v1", 0), 10, 0, out, filled((byte) 1, fetches));
    out.clear();
    c.read(new ChunkCache.ChunkId("k", "v2", 0), 10, 0, out, filled((byte) 2, fetches));
    assertEquals(2, out.get(0));
    assertEquals(2, fetches.get());
  }

  @Test
  void indexIsRebuiltFromTheDirectory() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    new ChunkCache(dir, 1000, 2, pool).read(new ChunkCache.ChunkId("k", "v", 0), 10, 0, ByteBuffer.allocate(1),
        filled((byte) 3, fetches));
    ChunkCache again = new ChunkCache(dir, 1000, 2, pool);
    assertTrue(again.contains(new ChunkCache.ChunkId("k", "v", 0)));
    assertEquals(10, again.size());
  }

  @Test
  void readAheadWindowGrowsForSequentialReadersOnly() {
    ReadAhead ra = new ReadAhead(8);
    assertEquals(1, ra.onRead(0, 100, 100));
    assertEquals(2, ra.onRead(100, 100, 100));
    assertEquals(4, ra.onRead(200, 100, 100));
    assertEquals(8, ra.onRead(300, 100, 100));
    assertEquals(8, ra.onRead(400, 100, 100));
    assertEquals(0, ra.onRead(5000, 10, 100), "a jump resets the window");
    assertEquals(0, ra.onRead(77, 10, 100));
  }
}

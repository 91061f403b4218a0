package org.streamfs.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
  void verifyingForReadsInPlaceFetchesOnceAndWritesNothing() throws Exception {
    ChunkCache c = new ChunkCache(dir, 1000, 2, pool);
    AtomicInteger fetches = new AtomicInteger();
    java.util.concurrent.CountDownLatch inFetch = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    ChunkCache.Fetcher slow = dst -> {
      fetches.incrementAndGet();
      inFetch.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new java.io.InterruptedIOException();
      }
      dst.put(new byte[dst.remaining()]);
    };
    ChunkCache.ChunkId id = new ChunkCache.ChunkId("k", "v", 3);
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      var first = readers.submit(() -> {
        c.verify(id, 100, slow);
        return null;
      });
      inFetch.await();
      var second = readers.submit(() -> {
        c.verify(id, 100, slow);
        return null;
      });
      Thread.sleep(100);
      assertFalse(second.isDone(), "a second reader waits for the verification on its way");
      release.countDown();
      first.get();
      second.get();
    } finally {
      readers.shutdownNow();
    }
    c.verify(id, 100, slow);
    assertEquals(1, fetches.get(), "one fetch for three verifications");
    assertTrue(c.verified(id));
    assertFalse(c.contains(id), "a chunk read in place is not copied into the cache");
    assertEquals(0, c.size());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(0, files.count(), "nothing written to the cache directory");
    }
  }

  @Test
  void aFailedVerificationIsNotRemembered() throws Exception {
    ChunkCache c = new ChunkCache(dir, 1000, 2, pool);
    ChunkCache.ChunkId id = new ChunkCache.ChunkId("k", "v", 0);
    assertThrows(java.io.IOException.class, () -> c.verify(id, 10, dst -> {
      throw new java.io.IOException("checksum mismatch");
    }));
    assertFalse(c.verified(id));
    AtomicInteger fetches = new AtomicInteger();
    c.verify(id, 10, filled((byte) 1, fetches));
    assertEquals(1, fetches.get(), "the next read verifies again");
    assertTrue(c.verified(id));
  }

  @Test
  void aCachedChunkWhoseFileWasRemovedIsFetchedAgain() throws Exception {
    ChunkCache c = new ChunkCache(dir, 1000, 2, pool);
    AtomicInteger fetches = new AtomicInteger();
    ChunkCache.ChunkId id = new ChunkCache.ChunkId("k", "v", 0);
    ByteBuffer out = ByteBuffer.allocate(10);
    c.read(id, 10, 0, out, filled((byte) 4, fetches));
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    out.clear();
    assertEquals(10, c.read(id, 10, 0, out, filled((byte) 5, fetches)));
    assertEquals(2, fetches.get());
    assertEquals(5, out.get(0), "the refetched bytes, not an error");
    assertEquals(10, c.size(), "the entry is counted once");
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

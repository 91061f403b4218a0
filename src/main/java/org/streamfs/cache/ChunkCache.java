package org.streamfs.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.Sha256;

/**
 * The on-disk cache of verified chunks, bounded by {@code maxBytes} with least-recently-used eviction. An
 * entry is named by the SHA-256 of (key, version, chunk index), so a changed object (new version) never
 * hits an old entry. A chunk is fetched once however many readers want it (in-flight fetches are shared),
 * written to a temporary file and renamed into place, and read from there. Fetch buffers are bounded by a
 * semaphore (memory = permits x chunk size). Prefetches run on a bounded pool and are dropped, not queued,
 * when the pool is busy. The index is rebuilt from the directory at start (oldest first).
 *
 * <p>Objects the store lets the mount read in place ({@link org.streamfs.store.ObjectStore#openLocal}) only
 * pass through here to be verified: {@link #verify} fetches and checks a chunk once (shared and bounded the
 * same way) and drops the bytes, and the last {@link #VERIFIED_MAX} chunks verified are remembered, in
 * memory only.
 */
public final class ChunkCache {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);

  /** Fills {@code dst} (position 0, limit = chunk length) with the verified bytes of the chunk. */
  @FunctionalInterface
  public interface Fetcher {
    void fetch(ByteBuffer dst) throws IOException;
  }

  /** One chunk of one object version. */
  public record ChunkId(String key, String version, int index) {
    String fileName() {
      return Sha256.hex(Sha256.digest((key + "\0" + version + "\0" + index).getBytes(StandardCharsets.UTF_8)));
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final ExecutorService prefetchPool;
  private final Semaphore buffers;
  private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> spare =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private static final int WRITE_SLICE = 256 * 1024;
  private final Map<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();
  private final LinkedHashMap<String, Long> lru = new LinkedHashMap<>(16, 0.75f, true);
  /** How many chunks read in place are remembered as verified (an entry is ~100 bytes of heap). */
  public static final int VERIFIED_MAX = 16_384;
  /** Chunks of objects read in place that were verified; guarded by {@code lru}. */
  private final LinkedHashMap<String, Boolean> verified = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > VERIFIED_MAX;
    }
  };
  private long total;
  private long hits;
  private long misses;

  public ChunkCache(Path dir, long maxBytes, int fetchBuffers, ExecutorService prefetchPool) throws IOException {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.prefetchPool = prefetchPool;
    this.buffers = new Semaphore(fetchBuffers);
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    rebuild();
  }

  private void rebuild() throws IOException {
    List<Path> entries = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(entries::add);
    }
    entries.sort(Comparator.comparingLong(p -> p.toFile().lastModified()));
    synchronized (lru) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (name.endsWith(".tmp")) {
          Files.deleteIfExists(p);
          continue;
        }
        long len = Files.size(p);
        lru.put(name, len);
        total += len;
      }
      evictLocked(null);
    }
  }

  /**
   * Reads bytes at {@code offsetInChunk} of the chunk into {@code dst} (as many as fit and exist),
   * fetching the chunk first if it is not cached. Returns the count.
   */
  public int read(ChunkId id, int chunkLength, long offsetInChunk, ByteBuffer dst, Fetcher fetcher)
      throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path p = ensure(id, chunkLength, fetcher, false);
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        int n = 0;
        while (dst.hasRemaining()) {
          int r = ch.read(dst, offsetInChunk + n);
          if (r <= 0) {
            break;
          }
          n += r;
        }
        return n;
      } catch (NoSuchFileException e) {
        if (attempt > 2) {
          throw e;
        }
        // evicted between lookup and open, or removed by someone else: forget it and fetch again
        forget(p.getFileName().toString());
      }
    }
  }

  /**
   * Makes sure the chunk of an object read in place has been fetched and verified (the fetcher verifies;
   * the bytes are then dropped): at once if it was verified before, else by this call or by the fetch of it
   * already on its way.
   */
  public void verify(ChunkId id, int chunkLength, Fetcher fetcher) throws IOException {
    ensure(id, chunkLength, fetcher, true);
  }

  /** Starts fetching the chunk in the background unless it is cached or already on its way. */
  public void prefetch(ChunkId id, int chunkLength, Fetcher fetcher) {
    prefetch(id, chunkLength, fetcher, false);
  }

  /**
   * Starts fetching the chunk in the background unless it is cached (for {@code inPlace}: verified) or
   * already on its way.
   */
  public void prefetch(ChunkId id, int chunkLength, Fetcher fetcher, boolean inPlace) {
    String name = id.fileName();
    synchronized (lru) {
      if ((inPlace ? verified.containsKey(name) : lru.containsKey(name))
          || inFlight.containsKey(flightKey(name, inPlace))) {
        return;
      }
    }
    try {
      prefetchPool.execute(() -> {
        try {
          ensure(id, chunkLength, fetcher, inPlace);
        } catch (IOException | RuntimeException e) {
          LOG.debug("prefetch of {} chunk {} failed: {}", id.key(), id.index(), e.toString());
        }
      });
    } catch (RejectedExecutionException e) {
      // pool busy: a prefetch is only a hint
    }
  }

  /**
   * Reads ahead without recording anything: runs {@code fetcher} into a pooled buffer on the prefetch pool
   * and drops the bytes (a chunk read in place and already verified: this only pulls the store file into
   * the page cache ahead of the reader). Dropped when the pool is busy.
   */
  public void readAhead(int chunkLength, Fetcher fetcher) {
    try {
      prefetchPool.execute(() -> {
        try {
          fetchInto(null, chunkLength, fetcher);
        } catch (IOException | RuntimeException e) {
          LOG.debug("read-ahead failed: {}", e.toString());
        }
      });
    } catch (RejectedExecutionException e) {
      // pool busy: a read-ahead is only a hint
    }
  }

  /** True if the chunk is cached now. */
  public boolean contains(ChunkId id) {
    synchronized (lru) {
      return lru.containsKey(id.fileName());
    }
  }

  /** True if the chunk, of an object read in place, is remembered as verified. */
  public boolean verified(ChunkId id) {
    synchronized (lru) {
      return verified.containsKey(id.fileName());
    }
  }

  public long size() {
    synchronized (lru) {
      return total;
    }
  }

  public String stats() {
    synchronized (lru) {
      return "cache " + total + " bytes in " + lru.size() + " chunks, hits " + hits + ", misses " + misses;
    }
  }

  /** The cache file of the chunk (null for {@code inPlace}), fetched by this call or a shared one. */
  private Path ensure(ChunkId id, int chunkLength, Fetcher fetcher, boolean inPlace) throws IOException {
    String name = id.fileName();
    Path p = inPlace ? null : dir.resolve(name);
    String flight = flightKey(name, inPlace);
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> theirs;
    synchronized (lru) {
      if (inPlace ? verified.get(name) != null : lru.get(name) != null) {
        hits++;
        return p;
      }
      misses++;
      theirs = inFlight.putIfAbsent(flight, mine);
    }
    if (theirs != null) {
      return await(theirs);
    }
    try {
      fetchInto(p, chunkLength, fetcher);
      synchronized (lru) {
        if (inPlace) {
          verified.put(name, Boolean.TRUE);
        } else {
          lru.put(name, (long) chunkLength);
          total += chunkLength;
          evictLocked(name);
        }
      }
      mine.complete(p);
      return p;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(flight, mine);
    }
  }

  private static String flightKey(String name, boolean inPlace) {
    return inPlace ? "verify:" + name : name;
  }

  /** Drops an entry whose file is gone. */
  private void forget(String name) {
    synchronized (lru) {
      Long len = lru.remove(name);
      if (len != null) {
        total -= len;
      }
    }
  }

  /** Fetches the chunk into a pooled buffer and, unless {@code p} is null, writes it to {@code p}. */
  private void fetchInto(Path p, int chunkLength, Fetcher fetcher) throws IOException {
    try {
      buffers.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for a fetch buffer");
    }
    Path tmp = p == null ? null : p.resolveSibling(p.getFileName() + "." + Thread.currentThread().getId() + ".tmp");
    try {
      ByteBuffer buf = pooled(chunkLength);
      try {
        fetcher.fetch(buf);
        if (tmp == null) {
          return;
        }
        buf.position(0).limit(chunkLength);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
          // in slices the JDK's per-thread temporary direct buffer can serve: a whole chunk at once made it
          // allocate, zero and free a chunk-sized direct buffer on every write
          while (buf.hasRemaining()) {
            ch.write(buf.slice(buf.position(), Math.min(WRITE_SLICE, buf.remaining())));
            buf.position(buf.position() + Math.min(WRITE_SLICE, buf.remaining()));
          }
        }
      } finally {
        spare.offer(buf);
      }
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
      buffers.release();
    }
  }

  /**
   * A heap buffer of {@code length} bytes, reused across fetches (at most {@code fetchBuffers} exist, the
   * semaphore's bound): a fresh chunk-sized array per fetch cost a zeroing and garbage per chunk.
   */
  private ByteBuffer pooled(int length) {
    ByteBuffer b = spare.poll();
    if (b == null || b.capacity() < length) {
      return ByteBuffer.allocate(length);
    }
    return b.clear().limit(length);
  }

  private static Path await(CompletableFuture<Path> f) throws IOException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for a chunk");
    }
  }

  private void evictLocked(String keep) {
    Iterator<Map.Entry<String, Long>> it = lru.entrySet().iterator();
    while (total > maxBytes && it.hasNext()) {
      Map.Entry<String, Long> e = it.next();
      if (e.getKey().equals(keep)) {
        continue;
      }
      try {
        Files.deleteIfExists(dir.resolve(e.getKey()));
      } catch (IOException ex) {
        LOG.warn("cannot evict cache entry {}: {}", e.getKey(), ex.toString());
        continue;
      }
      total -= e.getValue();
      it.remove();
    }
  }
}

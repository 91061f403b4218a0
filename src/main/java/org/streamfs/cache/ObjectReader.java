package org.streamfs.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.ChunkManifest;
import org.streamfs.transfer.StreamingManager;

/**
 * Reads byte ranges of a stored object version through the {@link ChunkCache}: only the chunks touched are
 * fetched (by the engine, verified against the manifest recorded at upload), and a sequential reader's
 * {@link ReadAhead} window of following chunks is prefetched in the background. Manifests are memoised per
 * (key, version).
 */
public final class ObjectReader {
  private final StreamingManager engine;
  private final ChunkCache cache;
  private final Map<String, ChunkManifest> manifests = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ChunkManifest> eldest) {
      return size() > 1024;
    }
  };

  public ObjectReader(StreamingManager engine, ChunkCache cache) {
    this.engine = engine;
    this.cache = cache;
  }

  public ChunkCache cache() {
    return cache;
  }

  /** The manifest of this object version (memoised). */
  public ChunkManifest manifest(ObjectInfo object) {
    String k = object.key() + "\0" + object.version();
    synchronized (manifests) {
      ChunkManifest m = manifests.get(k);
      if (m != null) {
        return m;
      }
    }
    ChunkManifest m = engine.manifest(object);
    synchronized (manifests) {
      manifests.put(k, m);
    }
    return m;
  }

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count (0 at or past the end).
   * With a non-null {@code ra}, prefetches the reader's window beyond the last chunk touched.
   */
  public int read(ObjectInfo object, long offset, ByteBuffer dst, ReadAhead ra) throws IOException {
    long size = object.size();
    if (offset >= size || !dst.hasRemaining()) {
      return 0;
    }
    ChunkManifest m = manifest(object);
    long cs = m.chunkSize() > 0 ? m.chunkSize() : size;
    int want = (int) Math.min(dst.remaining(), size - offset);
    int done = 0;
    while (done < want) {
      long pos = offset + done;
      int index = (int) (pos / cs);
      long cStart = index * cs;
      int cLen = (int) Math.min(cs, size - cStart);
      int n = (int) Math.min(want - done, cStart + cLen - pos);
      ByteBuffer slice = dst.slice(dst.position() + done, n);
      int got = cache.read(id(object, index), cLen, pos - cStart, slice, fetcher(object, m, index));
      if (got < n) {
        throw new IOException("cached chunk " + index + " of " + object.key() + " is short: " + got + " < " + n);
      }
      done += n;
    }
    dst.position(dst.position() + done);
    if (ra != null) {
      int window = ra.onRead(offset, done, cs);
      int last = (int) ((offset + done - 1) / cs);
      int chunks = (int) ((size + cs - 1) / cs);
      for (int i = last + 1; i <= last + window && i < chunks; i++) {
        long s = i * cs;
        cache.prefetch(id(object, i), (int) Math.min(cs, size - s), fetcher(object, m, i));
      }
    }
    return done;
  }

  private static ChunkCache.ChunkId id(ObjectInfo o, int index) {
    return new ChunkCache.ChunkId(o.key(), o.version(), index);
  }

  private ChunkCache.Fetcher fetcher(ObjectInfo o, ChunkManifest m, int index) {
    return dst -> engine.fetchChunk(o, m, index, dst);
  }
}

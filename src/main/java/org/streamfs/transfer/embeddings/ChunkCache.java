package org.streamfs.transfer.embeddings;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small LRU of verified chunks of collections, keyed by object key, version and chunk index and bounded
 * in bytes, so that row reads that walk through a collection in batches smaller than a chunk (the common
 * case: 5 MiB chunks hold thousands of rows) fetch each chunk once instead of once per batch. A new version
 * of an object never hits an old version's chunks. Buffers handed out are read-only views; thread-safe.
 */
final class ChunkCache {
  private final long maxBytes;
  private long bytes;
  private final LinkedHashMap<String, ByteBuffer> entries = new LinkedHashMap<>(16, 0.75f, true);

  ChunkCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** A bound for this JVM: an eighth of the heap limit, at most 64 MiB. */
  static long defaultBytes() {
    return Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);
  }

  private static String id(String key, String version, int index) {
    return key + '\0' + version + '\0' + index;
  }

  synchronized ByteBuffer get(String key, String version, int index) {
    ByteBuffer b = entries.get(id(key, version, index));
    return b == null ? null : b.duplicate();
  }

  synchronized void put(String key, String version, int index, ByteBuffer chunk) {
    int size = chunk.remaining();
    if (size > maxBytes) {
      return;
    }
    ByteBuffer old = entries.put(id(key, version, index), chunk.asReadOnlyBuffer());
    bytes += size - (old == null ? 0 : old.remaining());
    Iterator<Map.Entry<String, ByteBuffer>> it = entries.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      bytes -= it.next().getValue().remaining();
      it.remove();
    }
  }

  synchronized long bytes() {
    return bytes;
  }
}

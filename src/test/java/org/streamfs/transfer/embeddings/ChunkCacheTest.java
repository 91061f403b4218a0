package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The chunk LRU: bounded in bytes, least recently used out first, versions kept apart, read-only views. */
class ChunkCacheTest {
  @Test
  void evictsLeastRecentlyUsedWithinByteBound() {
    ChunkCache c = new ChunkCache(300);
    c.put("k", "v1", 0, ByteBuffer.allocate(100));
    c.put("k", "v1", 1, ByteBuffer.allocate(100));
    c.put("k", "v1", 2, ByteBuffer.allocate(100));
    assertNotNull(c.get("k", "v1", 0)); // 0 is now most recent
    c.put("k", "v1", 3, ByteBuffer.allocate(100));
    assertNull(c.get("k", "v1", 1), "least recently used evicted");
    assertNotNull(c.get("k", "v1", 0));
    assertEquals(300, c.bytes());
    assertNull(c.get("k", "v2", 0), "another version never hits");
    c.put("k", "v1", 9, ByteBuffer.allocate(301));
    assertNull(c.get("k", "v1", 9), "larger than the bound: not kept");
    ByteBuffer b = c.get("k", "v1", 0);
    assertTrue(b.isReadOnly());
    b.position(50);
    assertEquals(0, c.get("k", "v1", 0).position(), "callers get independent views");
  }
}

package org.streamfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.middleware.StoreOp;

/** The fault injector itself: each rule fires exactly where and as often as asked. */
class FaultyStoreTest {
  final MemoryStore memory = new MemoryStore();
  final FaultyStore faulty = new FaultyStore(memory);

  @Test
  void failNthFailsOnlyThatCall() throws Exception {
    faulty.failNth(StoreOp.PUT, 2, Kind.NO_SPACE);
    faulty.put("a", new byte[1], Map.of());
    StoreException e = assertThrows(StoreException.class, () -> faulty.put("b", new byte[1], Map.of()));
    assertEquals(Kind.NO_SPACE, e.kind());
    faulty.put("c", new byte[1], Map.of());
    assertEquals(3, faulty.calls(StoreOp.PUT));
    assertEquals(1, faulty.injectedFailures());
    assertEquals(2, memory.objectCount(), "the failed call never reached the store");
  }

  @Test
  void failAfterReachesTheStore() {
    faulty.failAfter(FaultyStore.on(StoreOp.PUT), 1, Kind.TRANSIENT);
    assertThrows(StoreException.class, () -> faulty.put("a", new byte[1], Map.of()));
    assertEquals(1, memory.objectCount());
  }

  @Test
  void corruptedAndTruncatedReads() throws Exception {
    memory.put("k", new byte[] {1, 2, 3, 4}, Map.of());
    faulty.corruptReads(FaultyStore.on(StoreOp.READ), 1);
    try (InputStream in = faulty.read("k", 0, -1, null)) {
      assertArrayEquals(new byte[] {0, 2, 3, 4}, in.readAllBytes());
    }
    faulty.truncateReads(FaultyStore.on(StoreOp.READ), 1, 3);
    try (InputStream in = faulty.read("k", 0, -1, null)) {
      assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
    }
    try (InputStream in = faulty.read("k", 0, -1, null)) {
      assertArrayEquals(new byte[] {1, 2, 3, 4}, in.readAllBytes());
    }
  }

  @Test
  void corruptedPutStoresWrongBytes() throws Exception {
    faulty.corruptUploads(FaultyStore.on(StoreOp.PUT), 1);
    faulty.put("k", new byte[] {5, 5, 5, 5}, Map.of());
    assertArrayEquals(new byte[] {5, 5, 4, 5}, memory.bytes("k"));
  }
}

package org.streamfs.store.middleware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;
import org.streamfs.testing.FaultyStore;

/** {@link TimeoutStore} around a real {@link LocalStore} slowed down by {@link FaultyStore}. */
class TimeoutStoreTest {
  @TempDir
  Path dir;

  FaultyStore faulty;
  TimeoutStore timed;

  @BeforeEach
  void open() throws Exception {
    faulty = new FaultyStore(LocalStore.open(dir.resolve("store"), true));
    timed = new TimeoutStore(faulty, Duration.ofMillis(200));
  }

  @AfterEach
  void close() {
    timed.close();
  }

  @Test
  void aSlowCallFailsTransientAfterTheTimeout() throws Exception {
    faulty.delayTimes(FaultyStore.on(StoreOp.PUT), 1, Duration.ofSeconds(5));
    long t0 = System.nanoTime();
    StoreException e = assertThrows(StoreException.class, () -> timed.put("k", new byte[] {1}, Map.of()));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(Kind.TRANSIENT, e.kind());
    assertTrue(e.getMessage().contains("put timed out after 200 ms"), e.getMessage());
    assertTrue(ms >= 190 && ms < 3000, "took " + ms + " ms");
    timed.put("k", new byte[] {2}, Map.of());
    assertEquals(1, timed.stat("k").size());
  }

  @Test
  void failuresAndResultsPassThrough() throws Exception {
    StoreException e = assertThrows(StoreException.class, () -> timed.stat("missing"));
    assertEquals(Kind.NOT_FOUND, e.kind());
    timed.put("k", new byte[] {1, 2, 3}, Map.of("mode", "33188"));
    assertEquals("33188", timed.stat("k").metadata().get("mode"));
    try (var in = timed.read("k", 1, -1, null)) {
      assertEquals(2, in.readAllBytes().length);
    }
  }

  @Test
  void retryingOutsideTimeoutRecoversFromOneSlowCall() throws Exception {
    faulty.delayTimes(FaultyStore.on(StoreOp.STAT), 1, Duration.ofSeconds(5));
    timed.put("k", new byte[] {1}, Map.of());
    RetryingStore s = new RetryingStore(timed, new RetryPolicy(2, Duration.ZERO, Duration.ZERO, false, 0));
    assertEquals(1, s.stat("k").size());
    assertEquals(2, faulty.calls(StoreOp.STAT));
  }

  @Test
  void callerInterruptIsTransientAndKeepsTheFlag() {
    faulty.delayTimes(FaultyStore.on(StoreOp.STAT), 1, Duration.ofSeconds(5));
    Thread.currentThread().interrupt();
    try {
      StoreException e = assertThrows(StoreException.class, () -> timed.stat("k"));
      assertEquals(Kind.TRANSIENT, e.kind());
      assertTrue(Thread.currentThread().isInterrupted());
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void closedStoreRefusesCalls() {
    timed.close();
    StoreException e = assertThrows(StoreException.class, () -> timed.stat("k"));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }
}

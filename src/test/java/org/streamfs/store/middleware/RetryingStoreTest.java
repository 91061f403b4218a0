package org.streamfs.store.middleware;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;
import org.streamfs.testing.FaultyStore;
import org.streamfs.testing.ManualClock;

/** {@link RetryingStore} around a real {@link LocalStore} with faults injected by {@link FaultyStore}. */
class RetryingStoreTest {
  @TempDir
  Path dir;

  LocalStore local;
  FaultyStore faulty;
  ManualClock clock = new ManualClock();

  @BeforeEach
  void open() throws Exception {
    local = LocalStore.open(dir.resolve("store"), true);
    faulty = new FaultyStore(local);
  }

  @AfterEach
  void close() {
    faulty.close();
  }

  RetryingStore retrying(RetryPolicy p) {
    return new RetryingStore(faulty, p, clock.sleeper(), () -> 0.5);
  }

  static byte[] data(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static Duration ms(long n) {
    return Duration.ofMillis(n);
  }

  @Test
  void transientFailuresAreRetriedUntilSuccess() throws Exception {
    RetryingStore s = retrying(new RetryPolicy(3, ms(100), ms(10_000), true, 0));
    String up = s.beginUpload("k", Map.of());
    faulty.failNth(StoreOp.UPLOAD_PART, 1, Kind.TRANSIENT).failNth(StoreOp.UPLOAD_PART, 2, Kind.TRANSIENT);
    byte[] b = data(1000, 1);
    s.uploadPart("k", up, 1, ByteBuffer.wrap(b), Sha256.digest(b));
    assertEquals(3, faulty.calls(StoreOp.UPLOAD_PART));
    assertEquals(List.of(ms(100), ms(200)), clock.sleeps());
    assertEquals(1, local.listParts("k", up).size());
    s.completeUpload("k", up, s.listParts("k", up));
    assertArrayEquals(b, Files.readAllBytes(dir.resolve("store/k")));
  }

  @Test
  void permanentFailuresFailAtOnce() throws Exception {
    RetryingStore s = retrying(new RetryPolicy(5, ms(100), ms(1000), true, 0));
    faulty.failAlways(FaultyStore.on(StoreOp.PUT), Kind.PERMANENT);
    StoreException e = assertThrows(StoreException.class, () -> s.put("k", data(3, 1), Map.of()));
    assertEquals(Kind.PERMANENT, e.kind());
    assertEquals(1, faulty.calls(StoreOp.PUT));
    StoreException nf = assertThrows(StoreException.class, () -> s.stat("missing"));
    assertEquals(Kind.NOT_FOUND, nf.kind());
    assertEquals(1, faulty.calls(StoreOp.STAT));
    assertThrows(StoreException.class, () -> s.stat("../escape"));
    assertEquals(2, faulty.calls(StoreOp.STAT));
    assertTrue(clock.sleeps().isEmpty());
  }

  @Test
  void givesUpAfterMaxRetries() {
    RetryingStore s = retrying(new RetryPolicy(3, ms(10), ms(1000), true, 0));
    faulty.failAlways(FaultyStore.on(StoreOp.STAT), Kind.TRANSIENT);
    StoreException e = assertThrows(StoreException.class, () -> s.stat("k"));
    assertEquals(Kind.TRANSIENT, e.kind());
    assertEquals(4, faulty.calls(StoreOp.STAT), "1 attempt + 3 retries");
    assertEquals(3, clock.sleeps().size());
  }

  @Test
  void zeroRetriesMeansOneAttempt() {
    RetryingStore s = retrying(RetryPolicy.NONE);
    faulty.failAlways(FaultyStore.on(StoreOp.STAT), Kind.TRANSIENT);
    assertThrows(StoreException.class, () -> s.stat("k"));
    assertEquals(1, faulty.calls(StoreOp.STAT));
  }

  @Test
  void backoffGrowsAndIsCapped() {
    RetryingStore s = retrying(new RetryPolicy(6, ms(100), ms(500), true, 0));
    faulty.failAlways(FaultyStore.on(StoreOp.LIST), Kind.TRANSIENT);
    assertThrows(StoreException.class, () -> s.list("", "/"));
    assertEquals(List.of(ms(100), ms(200), ms(400), ms(500), ms(500), ms(500)), clock.sleeps());
  }

  @Test
  void constantDelayWithoutExponentialBackoff() {
    RetryingStore s = retrying(new RetryPolicy(3, ms(250), ms(10_000), false, 0));
    faulty.failAlways(FaultyStore.on(StoreOp.LIST), Kind.TRANSIENT);
    assertThrows(StoreException.class, () -> s.list("", "/"));
    assertEquals(List.of(ms(250), ms(250), ms(250)), clock.sleeps());
  }

  @Test
  void jitterShortensButNeverLengthensTheDelay() {
    RetryPolicy p = new RetryPolicy(10, ms(100), ms(1000), true, 0.5);
    Random r = new Random(7);
    for (int retry = 1; retry <= 10; retry++) {
      long full = Math.min(100L << (retry - 1), 1000);
      for (int i = 0; i < 50; i++) {
        long d = p.delayBefore(retry, r::nextDouble).toMillis();
        assertTrue(d <= full && d >= full / 2, "retry " + retry + ": " + d + " vs " + full);
      }
    }
    assertEquals(ms(1000), p.delayBefore(1000, () -> 0).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
  }

  @Test
  void checksumFailureFromACorruptedPartIsRetried() throws Exception {
    RetryingStore s = retrying(new RetryPolicy(2, ms(1), ms(1), true, 0));
    String up = s.beginUpload("k", Map.of());
    faulty.corruptUploads(FaultyStore.part(1), 1);
    byte[] b = data(4096, 3);
    s.uploadPart("k", up, 1, ByteBuffer.wrap(b), Sha256.digest(b));
    assertEquals(2, faulty.calls(StoreOp.UPLOAD_PART), "the store refused the corrupted bytes once");
    assertEquals(2L * 4096, faulty.bytesUploaded());
    s.completeUpload("k", up, s.listParts("k", up));
    assertArrayEquals(b, Files.readAllBytes(dir.resolve("store/k")));
  }

  @Test
  void readIsRetriedAsACallOnly() throws Exception {
    local.put("k", data(100, 1), Map.of());
    RetryingStore s = retrying(new RetryPolicy(3, ms(1), ms(1), true, 0));
    faulty.failNth(StoreOp.READ, 1, Kind.TRANSIENT).truncateReads(FaultyStore.on(StoreOp.READ), 1, 10);
    byte[] got;
    try (var in = s.read("k", 0, -1, null)) {
      got = in.readAllBytes();
    }
    assertEquals(10, got.length, "a stream handed out is not re-opened behind the caller's back");
    assertEquals(2, faulty.calls(StoreOp.READ));
  }

  @Test
  void interruptDuringBackoffStopsRetrying() {
    RetryingStore s = new RetryingStore(faulty, new RetryPolicy(3, ms(10), ms(10), true, 0), d -> {
      throw new InterruptedException();
    }, () -> 0);
    faulty.failAlways(FaultyStore.on(StoreOp.STAT), Kind.TRANSIENT);
    try {
      StoreException e = assertThrows(StoreException.class, () -> s.stat("k"));
      assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
      assertTrue(Thread.currentThread().isInterrupted());
      assertEquals(1, faulty.calls(StoreOp.STAT));
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void policyRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(-1, ms(1), ms(1), true, 0));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, ms(-1), ms(1), true, 0));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, ms(1), ms(1), true, 1.5));
  }
}

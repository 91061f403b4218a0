package org.streamfs.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stop policy against a mount stand-in whose uploads drain on a timer (the real mount is exercised by
 * ServiceIT), with notifications going to a real socket and, in one test, a real SIGINT to this JVM.
 */
class GracefulStopTest {
  @TempDir Path tmp;

  /**
   * Pending uploads that finish one per {@code perUpload} (never when null); {@code late} more appear when it
   * is unmounted, as releases that reach the daemon after the unmount began.
   */
  static final class DrainingMount implements StoppableMount {
    final AtomicInteger unmounts = new AtomicInteger();
    volatile int pendingAtUnmount = -1;
    private volatile long start = System.nanoTime();
    private volatile int initial;
    private final int late;
    private final Duration perUpload;

    DrainingMount(int initial, Duration perUpload) {
      this(initial, 0, perUpload);
    }

    DrainingMount(int initial, int late, Duration perUpload) {
      this.initial = initial;
      this.late = late;
      this.perUpload = perUpload;
    }

    @Override
    public Pending pending() {
      if (perUpload == null) {
        return new Pending(initial, initial * 1_048_576L);
      }
      long done = (System.nanoTime() - start) / perUpload.toNanos();
      int left = (int) Math.max(0, initial - done);
      return new Pending(left, left * 1_048_576L);
    }

    @Override
    public Pending awaitFlushed(Duration max) throws InterruptedException {
      long end = System.nanoTime() + max.toNanos();
      while (!pending().isEmpty() && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      return pending();
    }

    @Override
    public void unmount() {
      pendingAtUnmount = pending().uploads();
      unmounts.incrementAndGet();
      if (late > 0) {
        initial = pending().uploads() + late;
        start = System.nanoTime();
      }
    }
  }

  @Test
  void firstRequestFlushesEverythingThenUnmounts() throws Exception {
    assumeTrue(NotifyReceiver.available());
    try (NotifyReceiver r = NotifyReceiver.bind(tmp.resolve("n.sock").toString())) {
      DrainingMount m = new DrainingMount(3, Duration.ofMillis(150));
      GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(r.socket), Duration.ofSeconds(30),
          Duration.ofMillis(100), System::nanoTime);
      stop.request("SIGTERM");
      assertTrue(stop.awaitUnmounted(Duration.ofSeconds(10)));
      assertEquals(1, m.unmounts.get());
      assertEquals(0, m.pendingAtUnmount, "unmounted only after the flush");
      List<String> msgs = r.drain(300);
      assertTrue(msgs.get(0).startsWith("STOPPING=1\\nSTATUS=stopping: flushing "), msgs.toString());
      assertTrue(msgs.contains("EXTEND_TIMEOUT_USEC=30100000"), msgs.toString());
      assertEquals("STATUS=all uploads done; unmounting", msgs.get(msgs.size() - 1));
    }
  }

  @Test
  void stopTimeoutBoundsTheFlush() throws Exception {
    DrainingMount m = new DrainingMount(2, null);
    GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(null), Duration.ofMillis(300),
        Duration.ofMillis(50), System::nanoTime);
    long t0 = System.nanoTime();
    stop.request("SIGTERM");
    assertTrue(stop.awaitUnmounted(Duration.ofSeconds(10)));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms >= 300 && ms < 5000, "took " + ms + " ms");
    assertEquals(2, m.pendingAtUnmount, "left to resume at the next mount");
  }

  @Test
  void secondRequestUnmountsAtOnce() throws Exception {
    DrainingMount m = new DrainingMount(5, null);
    GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(null), Duration.ofMinutes(10));
    stop.request("SIGTERM");
    Thread.sleep(100);
    assertEquals(0, m.unmounts.get(), "still flushing");
    long t0 = System.nanoTime();
    stop.request("SIGTERM");
    assertTrue(stop.awaitUnmounted(Duration.ofSeconds(2)));
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
    Thread.sleep(200);
    assertEquals(1, m.unmounts.get(), "exactly one unmount");
    assertEquals(5, m.pendingAtUnmount);
    stop.request("SIGINT");
    assertEquals(1, m.unmounts.get(), "a third request does nothing more");
  }

  @Test
  void realSigintReachesThePolicy() throws Exception {
    DrainingMount m = new DrainingMount(0, Duration.ofMillis(1));
    GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(null), Duration.ofSeconds(5));
    StopSignals signals = StopSignals.install(stop);
    try {
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(ProcessHandle.current().pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(stop.awaitUnmounted(Duration.ofSeconds(10)), "SIGINT did not reach the handler");
      assertEquals(1, m.unmounts.get());
    } finally {
      signals.restore();
    }
  }

  @Test
  void uploadsThatArriveDuringTheUnmountAreFlushedBeforeTheEngineCloses() throws Exception {
    assumeTrue(NotifyReceiver.available());
    try (NotifyReceiver r = NotifyReceiver.bind(tmp.resolve("n.sock").toString())) {
      DrainingMount m = new DrainingMount(0, 2, Duration.ofMillis(150));
      GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(r.socket), Duration.ofSeconds(30),
          Duration.ofMillis(100), System::nanoTime);
      stop.request("SIGTERM");
      assertTrue(stop.awaitUnmounted(Duration.ofSeconds(10)));
      assertEquals(0, m.pendingAtUnmount);
      assertEquals(2, m.pending().uploads(), "a late release");
      long t0 = System.nanoTime();
      assertEquals(StoppableMount.Pending.NONE.uploads(), stop.afterUnmount().uploads());
      assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(250), "it waited for the late uploads");
      List<String> msgs = r.drain(300);
      assertEquals("STATUS=all uploads done", msgs.get(msgs.size() - 1), msgs.toString());
    }
  }

  @Test
  void anUnmountFromOutsideIsNotFlushed() throws Exception {
    DrainingMount m = new DrainingMount(3, Duration.ofSeconds(100));
    GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(null), Duration.ofSeconds(30),
        Duration.ofMillis(50), System::nanoTime);
    long t0 = System.nanoTime();
    assertEquals(3, stop.afterUnmount().uploads(), "left to resume at the next mount");
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1));
    assertEquals(0, m.unmounts.get(), "no unmount of its own");
  }

  @Test
  void aSecondRequestEndsTheAfterUnmountFlush() throws Exception {
    DrainingMount m = new DrainingMount(0, 4, null);
    GracefulStop stop = new GracefulStop(m, SystemdNotify.forSocket(null), Duration.ofMinutes(10));
    stop.request("SIGTERM");
    assertTrue(stop.awaitUnmounted(Duration.ofSeconds(10)));
    Thread second = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      stop.request("SIGTERM");
    });
    second.start();
    long t0 = System.nanoTime();
    assertEquals(4, stop.afterUnmount().uploads(), "left to resume");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms >= 250 && ms < 3000, "took " + ms + " ms");
    assertTrue(!Thread.currentThread().isInterrupted(), "the interrupt does not leak into the daemon's thread");
    assertEquals(1, m.unmounts.get());
    second.join();
  }
}

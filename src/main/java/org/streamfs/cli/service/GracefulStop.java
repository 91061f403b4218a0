package org.streamfs.cli.service;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's stop policy. The first stop request (SIGTERM, SIGINT, {@code systemctl stop}) tells systemd
 * {@code STOPPING=1}, keeps the mount serving while pending uploads drain, then unmounts; once the FUSE loop
 * has ended the daemon calls {@link #afterUnmount()}, which drains what arrived late (a file closed just
 * before the signal can reach the daemon after the unmount began) before the engine closes. Both phases
 * together last at most {@code stop-timeout} from the first request, and send a status line and
 * {@code EXTEND_TIMEOUT_USEC} at every step so systemd waits while the flush goes on. A second request
 * unmounts at once and ends any flush: what is still pending stays in the catalog and resumes at the next
 * mount. An unmount from outside without a stop request (umount(8), {@code streamfs umount --no-wait}) is
 * not flushed: it means "now", and the uploads resume at the next mount ({@code streamfs umount} without
 * {@code --no-wait} waits for them first). Stop work runs on its own thread, never on a signal dispatcher
 * thread.
 */
public final class GracefulStop {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);
  /** How often a flush reports and re-checks. */
  static final Duration STEP = Duration.ofSeconds(5);
  /** Time asked of systemd beyond the next step, for the unmount and the engine's close. */
  static final Duration MARGIN = Duration.ofSeconds(30);

  private final StoppableMount mount;
  private final SystemdNotify notify;
  private final Duration stopTimeout;
  private final Duration step;
  private final LongSupplier nanoClock;
  private final AtomicInteger requests = new AtomicInteger();
  private final CountDownLatch unmounted = new CountDownLatch(1);
  private volatile long deadline;
  private volatile boolean aborted;
  private final Set<Thread> flushers = ConcurrentHashMap.newKeySet();

  public GracefulStop(StoppableMount mount, SystemdNotify notify, Duration stopTimeout) {
    this(mount, notify, stopTimeout, STEP, System::nanoTime);
  }

  GracefulStop(StoppableMount mount, SystemdNotify notify, Duration stopTimeout, Duration step,
      LongSupplier nanoClock) {
    this.mount = mount;
    this.notify = notify;
    this.stopTimeout = stopTimeout;
    this.step = step;
    this.nanoClock = nanoClock;
  }

  /**
   * A stop request, from a signal or elsewhere. The first starts the graceful stop; the second unmounts at
   * once and ends any flush; later ones do nothing more. Returns immediately.
   */
  public void request(String why) {
    int n = requests.incrementAndGet();
    if (n == 1) {
      deadline = nanoClock.getAsLong() + stopTimeout.toNanos();
      Thread t = new Thread(() -> graceful(why), "streamfs-stop");
      t.setDaemon(true);
      t.start();
    } else if (n == 2) {
      aborted = true;
      int left = mount.pending().uploads();
      LOG.warn("{} again: unmounting now; {} upload(s) resume at the next mount", why, left);
      notify.status("unmounting now (" + why + " again); " + left + " upload(s) resume at next mount");
      flushers.forEach(Thread::interrupt);
      Thread t = new Thread(this::unmount, "streamfs-unmount-now");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Whether a stop has been requested. */
  public boolean requested() {
    return requests.get() > 0;
  }

  /** Waits until the stop has unmounted; false on timeout. */
  public boolean awaitUnmounted(Duration max) throws InterruptedException {
    return unmounted.await(max.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Called by the daemon once the FUSE loop has ended, before it closes the engine: after a stop request,
   * flushes what is still pending for the rest of the stop budget, unless a second request came. Returns what
   * is left, which resumes at the next mount.
   */
  public StoppableMount.Pending afterUnmount() {
    StoppableMount.Pending p = mount.pending();
    if (requests.get() == 0 || aborted || p.isEmpty()) {
      return p;
    }
    p = flush(p);
    notify.status(p.isEmpty() ? "all uploads done" : p.uploads() + " upload(s) resume at next mount");
    return p;
  }

  private void graceful(String why) {
    StoppableMount.Pending p = mount.pending();
    LOG.info("{}: flushing {} pending upload(s) for at most {}s, then unmounting", why, p.uploads(),
        stopTimeout.toSeconds());
    notify.stopping(statusLine(p));
    p = flush(p);
    if (!aborted) {
      notify.status(p.isEmpty() ? "all uploads done; unmounting" : "unmounting; " + p.uploads()
          + " upload(s) resume at next mount");
      unmount();
    }
  }

  /** Waits for uploads until none are left, the deadline passes, or a second request interrupts it. */
  private StoppableMount.Pending flush(StoppableMount.Pending start) {
    StoppableMount.Pending p = start;
    flushers.add(Thread.currentThread());
    try {
      while (!p.isEmpty() && !aborted) {
        long remaining = deadline - nanoClock.getAsLong();
        if (remaining <= 0) {
          LOG.warn("stop-timeout reached: {} upload(s) left; they resume at the next mount", p.uploads());
          break;
        }
        Duration slice = Duration.ofNanos(Math.min(remaining, step.toNanos()));
        notify.extendTimeout(slice.plus(MARGIN));
        p = mount.awaitFlushed(slice);
        notify.status(statusLine(p));
      }
    } catch (InterruptedException e) {
      p = mount.pending();
    } catch (RuntimeException e) {
      LOG.error("flush failed; leaving the rest to resume at the next mount", e);
      p = mount.pending();
    } finally {
      flushers.remove(Thread.currentThread());
      Thread.interrupted();
    }
    return p;
  }

  private synchronized void unmount() {
    if (unmounted.getCount() == 0) {
      return;
    }
    try {
      mount.unmount();
    } catch (RuntimeException e) {
      LOG.error("unmount failed", e);
    } finally {
      unmounted.countDown();
    }
  }

  private static String statusLine(StoppableMount.Pending p) {
    if (p.isEmpty()) {
      return "stopping: no pending uploads";
    }
    return "stopping: flushing " + p.uploads() + " upload(s)" + (p.bytes() > 0 ? ", " + p.bytes() / (1024 * 1024)
        + " MiB left" : "");
  }
}

package org.streamfs.cli.service;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's stop policy. The first stop request (SIGTERM, SIGINT, {@code systemctl stop}) tells systemd
 * {@code STOPPING=1}, keeps the mount serving while pending uploads drain, for at most {@code stop-timeout},
 * sending a status line and {@code EXTEND_TIMEOUT_USEC} at every step so systemd waits while progress is
 * made, then unmounts. A second request unmounts at once; whatever is still pending is left in the catalog
 * and resumes at the next mount. The work runs on its own thread, never on a signal dispatcher thread.
 */
public final class GracefulStop {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);
  /** How often the flush loop reports and re-checks. */
  static final Duration STEP = Duration.ofSeconds(5);
  /** Time asked of systemd beyond the next step, for the unmount itself. */
  static final Duration MARGIN = Duration.ofSeconds(30);

  private final StoppableMount mount;
  private final SystemdNotify notify;
  private final Duration stopTimeout;
  private final Duration step;
  private final LongSupplier nanoClock;
  private final AtomicInteger requests = new AtomicInteger();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile Thread worker;

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
   * A stop request, from a signal or elsewhere. The first starts the graceful stop; the second and later
   * unmount at once. Returns immediately.
   */
  public void request(String why) {
    int n = requests.incrementAndGet();
    if (n == 1) {
      Thread t = new Thread(() -> graceful(why), "streamfs-stop");
      t.setDaemon(true);
      worker = t;
      t.start();
    } else if (n == 2) {
      StoppableMount.Pending left = mount.pending();
      LOG.warn("{} again: unmounting now; {} upload(s) resume at the next mount", why, left.uploads());
      notify.status("unmounting now (" + why + " again); " + left.uploads() + " upload(s) resume at next mount");
      Thread t = worker;
      if (t != null) {
        t.interrupt();
      }
      unmount();
    }
  }

  /** Whether a stop has been requested. */
  public boolean requested() {
    return requests.get() > 0;
  }

  /** Waits until the stop has unmounted; false on timeout. */
  public boolean awaitUnmounted(Duration max) throws InterruptedException {
    return done.await(max.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void graceful(String why) {
    long deadline = nanoClock.getAsLong() + stopTimeout.toNanos();
    StoppableMount.Pending p = mount.pending();
    LOG.info("{}: flushing {} pending upload(s) for at most {}s, then unmounting", why, p.uploads(),
        stopTimeout.toSeconds());
    notify.stopping(statusLine(p));
    try {
      while (!p.isEmpty()) {
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
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      LOG.error("flush before unmount failed; unmounting anyway", e);
    }
    if (requests.get() == 1) {
      notify.status(p.isEmpty() ? "all uploads done; unmounting" : "unmounting; " + p.uploads()
          + " upload(s) resume at next mount");
      unmount();
    }
  }

  private synchronized void unmount() {
    if (done.getCount() == 0) {
      return;
    }
    try {
      mount.unmount();
    } catch (RuntimeException e) {
      LOG.error("unmount failed", e);
    } finally {
      done.countDown();
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

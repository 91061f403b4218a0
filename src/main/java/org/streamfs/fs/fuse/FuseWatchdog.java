package org.streamfs.fs.fuse;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the FUSE calls in progress ({@link FuseCall} enters and leaves each one here) and reports a call
 * that has run longer than a limit (60 s, or the system property {@code streamfs.watchdog.seconds}): an
 * ERROR line naming the call, its path and how long it has run, followed by a dump of every thread, once
 * per call. A call that long means a process on the mount is blocked (the kernel waits for the answer
 * forever); the dump says where. The mounted integration tests fail on that line.
 */
final class FuseWatchdog {
  private static final Logger LOG = LoggerFactory.getLogger(FuseWatchdog.class);
  /** The words the report starts with (the integration tests look for them). */
  static final String STUCK = "stuck FUSE call";

  private record Call(String op, String path, long startNanos, Thread thread) {}

  private static final Map<Long, Call> CALLS = new ConcurrentHashMap<>();
  private static final Map<Long, Boolean> REPORTED = new ConcurrentHashMap<>();
  private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();
  private static volatile Thread watcher;

  private FuseWatchdog() {}

  static long enter(String op, String path) {
    long id = IDS.incrementAndGet();
    CALLS.put(id, new Call(op, path, System.nanoTime(), Thread.currentThread()));
    return id;
  }

  static void leave(long id) {
    CALLS.remove(id);
    REPORTED.remove(id);
  }

  /** Starts the watching thread once per process. */
  static synchronized void start() {
    if (watcher != null) {
      return;
    }
    long limitNanos = Long.getLong("streamfs.watchdog.seconds", 60) * 1_000_000_000L;
    Thread t = new Thread(() -> {
      while (true) {
        try {
          Thread.sleep(Math.min(5_000, Math.max(100, limitNanos / 4_000_000)));
        } catch (InterruptedException e) {
          return;
        }
        check(limitNanos);
      }
    }, "fuse-watchdog");
    t.setDaemon(true);
    t.start();
    watcher = t;
  }

  static void check(long limitNanos) {
    long now = System.nanoTime();
    for (Map.Entry<Long, Call> e : CALLS.entrySet()) {
      Call c = e.getValue();
      long ran = now - c.startNanos();
      if (ran > limitNanos && REPORTED.putIfAbsent(e.getKey(), true) == null) {
        LOG.error("{}: {} {} has run for {} s on thread {}; every thread:\n{}", STUCK, c.op(), c.path(),
            ran / 1_000_000_000L, c.thread().getName(), dump());
      }
    }
  }

  private static String dump() {
    StringBuilder sb = new StringBuilder();
    for (ThreadInfo ti : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      sb.append('"').append(ti.getThreadName()).append("\" ").append(ti.getThreadState());
      if (ti.getLockName() != null) {
        sb.append(" on ").append(ti.getLockName());
      }
      sb.append('\n');
      for (StackTraceElement f : ti.getStackTrace()) {
        sb.append("    at ").append(f).append('\n');
      }
    }
    return sb.toString();
  }
}

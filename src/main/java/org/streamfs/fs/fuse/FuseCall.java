package org.streamfs.fs.fuse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.fs.Errno;

/**
 * The one guard every FUSE callback runs through: it times the call, turns any {@link Throwable} into a
 * negative errno through {@link Errno#of} (which logs what is unexpected), and logs calls slower than a
 * second. jffi swallows exceptions thrown from callbacks and returns 0, which for {@code read} means end of
 * file: silent data loss. Nothing escapes this guard, so a callback never returns 0 on failure. Calls in
 * progress are known to the {@link FuseWatchdog}, which reports one that runs for a minute.
 */
final class FuseCall {
  private static final Logger LOG = LoggerFactory.getLogger(FuseCall.class);
  private static final long SLOW_NANOS = 1_000_000_000L;

  @FunctionalInterface
  interface Body {
    int run() throws Exception;
  }

  private FuseCall() {}

  static int run(String op, String path, Body body) {
    long t0 = System.nanoTime();
    long call = FuseWatchdog.enter(op, path);
    try {
      return body.run();
    } catch (Throwable t) {
      int errno = Errno.of(op + " " + path, t);
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} {} -> errno {}: {}", op, path, errno, t.toString());
      }
      return -errno;
    } finally {
      FuseWatchdog.leave(call);
      long took = System.nanoTime() - t0;
      if (took > SLOW_NANOS) {
        LOG.info("slow {} {}: {} ms", op, path, took / 1_000_000);
      }
    }
  }
}

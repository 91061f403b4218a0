package org.streamfs.cli.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The readiness test behind {@code READY=1}: a mount "answers" when a stat of its root succeeds and reports a
 * different device than its parent directory, i.e. the kernel routed the stat to the mounted file system (for
 * FUSE, to the daemon's getattr) rather than to the directory underneath. Seeing the mount in
 * /proc/self/mountinfo is not enough: the entry appears as soon as mount(2) returns, before the daemon has
 * answered anything.
 */
public final class MountProbe {
  private MountProbe() {}

  /** Whether {@code mountpoint} answers as a mount now. */
  public static boolean answers(Path mountpoint) {
    Path parent = mountpoint.toAbsolutePath().normalize().getParent();
    if (parent == null) {
      return false;
    }
    try {
      Object dev = Files.getAttribute(mountpoint, "unix:dev");
      Object parentDev = Files.getAttribute(parent, "unix:dev");
      return !dev.equals(parentDev);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Polls {@link #answers} until it holds or {@code max} has passed. */
  public static boolean awaitAnswer(Path mountpoint, Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (true) {
      if (answers(mountpoint)) {
        return true;
      }
      if (System.nanoTime() >= end) {
        return false;
      }
      Thread.sleep(20);
    }
  }
}

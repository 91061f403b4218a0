package org.streamfs.transfer;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling niceness of the engine's own threads (part workers, store calls, completions), for the
 * mount: there the writer (cp, rsync) and the FUSE threads that stage its bytes compete for the same cores
 * with the uploads of the chunks already staged, and every cycle an upload takes while the writer waits
 * makes {@code close()} later. A nicer upload thread yields to them and uses what they leave idle; on an
 * idle machine it runs at full speed. How a thread's niceness is set is given by the caller (the mount
 * passes fs.fuse.ThreadNice, which calls libc); if it fails, this logs once and changes nothing more.
 */
public final class UploadPriority {
  private static final Logger LOG = LoggerFactory.getLogger(UploadPriority.class);
  private static final ThreadLocal<Boolean> BACKGROUND = ThreadLocal.withInitial(() -> false);
  private static volatile int nice;
  private static volatile ThreadNicer nicer;
  private static volatile boolean failed;

  /** Sets the calling thread's niceness. */
  @FunctionalInterface
  public interface ThreadNicer {
    void setCurrentThread(int niceness) throws Exception;
  }

  private UploadPriority() {}

  /**
   * Engine threads started from now on run at this niceness (0..19; 0 leaves them alone), which {@code how}
   * sets on each of them.
   */
  public static void set(int niceness, ThreadNicer how) {
    if (niceness < 0 || niceness > 19) {
      throw new IllegalArgumentException("upload niceness must be 0..19, not " + niceness);
    }
    nicer = how;
    nice = niceness;
  }

  /** True on the engine's upload threads. */
  static boolean onBackgroundThread() {
    return BACKGROUND.get();
  }

  /** Marks the calling thread as an upload thread and applies the niceness (first thing they do). */
  static void enterBackground() {
    BACKGROUND.set(true);
    int n = nice;
    ThreadNicer how = nicer;
    if (n == 0 || how == null || failed) {
      return;
    }
    try {
      how.setCurrentThread(n);
    } catch (Exception | LinkageError e) {
      failed = true;
      LOG.info("upload threads keep their normal priority: {}", e.toString());
    }
  }

  /** The niceness of the calling thread as the kernel sees it (field 19 of /proc/thread-self/stat). */
  static int currentThreadNice() throws java.io.IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(f[16]);
  }
}

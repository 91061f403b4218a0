package org.streamfs.transfer;

import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling niceness of the engine's own threads (part workers, store calls, completions), for the
 * mount: there the writer (cp, rsync) and the FUSE threads that stage its bytes compete for the same cores
 * with the uploads of the chunks already staged, and every cycle an upload takes while the writer waits
 * makes {@code close()} later. A nicer upload thread yields to them and uses what they leave idle; on an
 * idle machine it runs at full speed. Linux only ({@code setpriority} on a thread id applies to that
 * thread); elsewhere, or if libc cannot be called, it logs once and changes nothing.
 */
public final class UploadPriority {
  private static final Logger LOG = LoggerFactory.getLogger(UploadPriority.class);
  private static final int PRIO_PROCESS = 0;
  private static volatile int nice;
  private static volatile boolean failed;

  /** libc's setpriority; public because jnr-ffi generates the implementation. */
  public interface LibC {
    int setpriority(int which, int who, int prio);
  }

  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      try {
        return LibraryLoader.create(LibC.class).load("c");
      } catch (LinkageError | RuntimeException e) {
        LOG.info("cannot lower upload thread priority: {}", e.toString());
        return null;
      }
    }
  }

  private UploadPriority() {}

  /** Engine threads started from now on run at this niceness (0..19; 0 leaves them alone). */
  public static void set(int niceness) {
    if (niceness < 0 || niceness > 19) {
      throw new IllegalArgumentException("upload niceness must be 0..19, not " + niceness);
    }
    nice = niceness;
  }

  public static int get() {
    return nice;
  }

  private static final ThreadLocal<Boolean> BACKGROUND = ThreadLocal.withInitial(() -> false);

  /** True on the engine's upload threads. */
  static boolean onBackgroundThread() {
    return BACKGROUND.get();
  }

  /** Marks the calling thread as an upload thread and applies the niceness (first thing they do). */
  static void enterBackground() {
    BACKGROUND.set(true);
    int n = nice;
    if (n == 0 || failed) {
      return;
    }
    try {
      // /proc/thread-self -> "PID/task/TID"
      String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
      int tid = Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
      LibC libc = Holder.LIBC;
      if (libc == null || libc.setpriority(PRIO_PROCESS, tid, n) != 0) {
        throw new IllegalStateException("setpriority(" + tid + ", " + n + ") failed");
      }
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

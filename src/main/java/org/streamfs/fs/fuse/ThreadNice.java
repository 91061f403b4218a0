package org.streamfs.fs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import jnr.ffi.LibraryLoader;

/**
 * Sets the calling thread's niceness through libc's {@code setpriority} on its thread id (on Linux that
 * applies to the one thread). Here because this package is the one that calls native code; the engine
 * takes it as a plain method reference ({@code transfer.UploadPriority}).
 */
public final class ThreadNice {
  private static final int PRIO_PROCESS = 0;

  /** libc's setpriority; public because jnr-ffi generates the implementation. */
  public interface LibC {
    int setpriority(int which, int who, int prio);
  }

  private static final class Holder {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
  }

  private ThreadNice() {}

  /**
   * Sets the niceness of every thread of this process whose name ({@code /proc/self/task/TID/comm}, at most
   * 15 characters) starts with one of {@code prefixes}; returns how many. A thread that ends meanwhile is
   * skipped. Threads those threads start later inherit the niceness (Linux threads do).
   */
  public static int setThreadsNamed(List<String> prefixes, int niceness) throws IOException {
    int n = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String comm;
        try {
          comm = Files.readString(task.resolve("comm")).strip();
        } catch (IOException e) {
          continue; // ended
        }
        if (prefixes.stream().anyMatch(comm::startsWith)
            && Holder.LIBC.setpriority(PRIO_PROCESS, Integer.parseInt(task.getFileName().toString()), niceness)
            == 0) {
          n++;
        }
      }
    }
    return n;
  }

  /** Sets the calling thread's niceness; throws if the thread id or libc cannot be had, or the call fails. */
  public static void setCurrentThread(int niceness) throws IOException {
    // /proc/thread-self -> "PID/task/TID"
    String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
    int tid = Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
    if (Holder.LIBC.setpriority(PRIO_PROCESS, tid, niceness) != 0) {
      throw new IOException("setpriority(" + tid + ", " + niceness + ") failed");
    }
  }
}

package org.streamfs.fs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Threads picked by name get the niceness (read back from the kernel); the others keep theirs. */
class ThreadNiceTest {
  private static int nice(String tid) throws Exception {
    String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }

  private static Thread parked(String name, CompletableFuture<String> tid, CountDownLatch release) {
    Thread t = new Thread(() -> {
      try {
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
        tid.complete(link.substring(link.lastIndexOf('/') + 1));
        release.await();
      } catch (Exception e) {
        tid.completeExceptionally(e);
      }
    }, name);
    t.start();
    return t;
  }

  @Test
  void threadsNamedSoGetTheNicenessOthersDoNot() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> picked = new CompletableFuture<>();
    CompletableFuture<String> other = new CompletableFuture<>();
    Thread a = parked("zz-probe-picked", picked, release);
    Thread b = parked("zz-other-thread", other, release);
    try {
      int before = nice(other.get());
      assertEquals(1, ThreadNice.setThreadsNamed(List.of("zz-probe-pi"), 13));
      assertEquals(Math.max(before, 13), nice(picked.get()));
      assertEquals(before, nice(other.get()));
    } finally {
      release.countDown();
      a.join();
      b.join();
    }
  }
}

package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two FUSE bindings: libfuse3 (the default where it is installed) and jnr-fuse over libfuse2 ({@code -o
 * libfuse2}, and the fallback), plus libfuse3 with the kernel's writeback cache ({@code -o writeback}). The
 * full suites (MountIT, CrashResumeIT...) run on the default; this drives the same ordinary tools through
 * each of the others, and checks which library each mount really used, that libfuse3 got 1 MiB writes, that
 * the kernel keeps its cached pages of an unchanged file across opens, and that a local store is read in place.
 */
class BindingsMountIT {
  @TempDir
  Path root;

  private static final String WORKLOAD = String.join(" && ",
      "head -c 5000000 /dev/urandom > src.bin",
      "cp src.bin mnt/f.bin",
      "cmp src.bin mnt/f.bin",
      "mkdir -p mnt/d/e && echo hello > mnt/d/e/x && ln -s ../f.bin mnt/d/link",
      "test \"$(cat mnt/d/e/x)\" = hello && test \"$(readlink mnt/d/link)\" = ../f.bin",
      "mv mnt/d/e/x mnt/d/y && test ! -e mnt/d/e/x",
      "dd if=/dev/zero of=mnt/f.bin bs=1 count=10 seek=1000 conv=notrunc status=none",
      "dd if=/dev/zero of=src.bin bs=1 count=10 seek=1000 conv=notrunc status=none",
      "cmp src.bin mnt/f.bin",
      "truncate -s 4000 mnt/d/y && test $(stat -c %s mnt/d/y) = 4000",
      "chmod 640 mnt/f.bin && test $(stat -c %a mnt/f.bin) = 640",
      "touch -d '2020-01-02 03:04:05' mnt/d/y && test $(stat -c %Y mnt/d/y) = $(date -d '2020-01-02 03:04:05' +%s)",
      "ls -l mnt mnt/d > ls.txt && grep -q f.bin ls.txt && grep -q link ls.txt",
      "df mnt > /dev/null",
      // overwriting with less: open(O_TRUNC) must empty the file (libfuse 3 passes O_TRUNC to open)
      "echo 'a much longer first version' > mnt/t && echo short > mnt/t && test \"$(cat mnt/t)\" = short",
      "head -c 1000 src.bin > small.bin && cp src.bin mnt/g && cp small.bin mnt/g && cmp small.bin mnt/g",
      "rm mnt/t mnt/g",
      "rm -r mnt/d && test ! -e mnt/d");

  private static void workload(Mounted m) throws Exception {
    m.sh(WORKLOAD);
    Mounted.Result sync = m.cli("sync", m.mnt.toString());
    assertEquals(0, sync.code(), sync.out());
    m.sh("cmp src.bin store/f.bin && test ! -e store/d");
    // a stored version opened again keeps the kernel's pages (fincore's own open must not drop what cat
    // read), and a local store is read in place: nothing is copied into the chunk cache
    m.sh("cat mnt/f.bin > /dev/null && test \"$(fincore --bytes --noheadings --output RES mnt/f.bin)\" -gt 0");
    m.sh("test -z \"$(ls -A " + m.state.resolve("cache") + ")\"");
  }

  @Test
  void libfuse3IsTheDefaultAndTheKernelSendsItMegabyteWrites() throws Exception {
    try (Mounted m = new Mounted(root, "--log-level", "debug").start()) {
      workload(m);
      m.sh("head -c 3145728 /dev/urandom > big.bin && dd if=big.bin of=mnt/big.bin bs=4M status=none");
      String log = m.log();
      assertTrue(log.contains("through libfuse3.so.3"), log);
      // libfuse2 caps a request at 128 KiB; libfuse3 negotiates max_pages, so 1 MiB writes arrive whole
      assertTrue(log.contains("write /big.bin 1048576 at 0"), "no 1 MiB write in the debug log");
      // cp sizes its buffer by the destination's st_blksize (at least 128 KiB): the mount says 1 MiB, so a
      // plain cp makes an eighth of the round trips it would make at 4 KiB
      m.sh("test \"$(stat -c %o mnt/big.bin)\" = 1048576 && cp big.bin mnt/cp.bin && cmp big.bin mnt/cp.bin");
      assertTrue(m.log().contains("write /cp.bin 1048576 at 1048576"), "cp did not write 1 MiB at a time");
    }
  }

  @Test
  void theLibfuse2BindingStillWorks() throws Exception {
    try (Mounted m = new Mounted(root, "-o", "libfuse2").start()) {
      workload(m);
      assertTrue(m.log().contains("through libfuse.so.2"), m.log());
    }
  }

  @Test
  void theWritebackCacheKeepsEveryByte() throws Exception {
    try (Mounted m = new Mounted(root, "-o", "writeback").start()) {
      workload(m);
      // appends and small overwrites through the kernel's cache, then read back after the cache is dropped
      m.sh("printf abc >> mnt/f.bin && printf abc >> src.bin && sync && echo 3 > /proc/sys/vm/drop_caches"
          + " && cmp src.bin mnt/f.bin");
      Mounted.Result sync = m.cli("sync", m.mnt.toString());
      assertEquals(0, sync.code(), sync.out());
      m.sh("cmp src.bin store/f.bin");
    }
  }
}

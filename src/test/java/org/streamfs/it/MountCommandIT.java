package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands as a user runs them: {@code streamfs mount} daemonizes and returns only once the mount
 * answers, or fails with a one-line reason; {@code umount} flushes then unmounts and the daemon exits; a
 * cold read held up by a slow store (test-only read latency) does not stall {@code ls} or other files.
 */
class MountCommandIT {
  @TempDir
  Path root;

  @Test
  void daemonizedMountSyncAndUmount() throws Exception {
    Mounted m = new Mounted(root);
    try {
      Mounted.Result r = m.cli("mount", "--store", "file://" + m.store, "--state-dir", m.state.toString(),
          m.mnt.toString());
      assertEquals(0, r.code(), r.out());
      assertTrue(m.answers(), "mount answers when the command returns");
      m.sh("head -c 3000000 /dev/urandom > u.src && cp u.src mnt/u.bin");
      Mounted.Result ops = m.cli("ops", "--mount", m.mnt.toString(), "--all");
      assertEquals(0, ops.code(), ops.out());
      assertTrue(ops.out().contains("u.bin"), "ops --mount finds the mount's state dir: " + ops.out());
      Mounted.Result u = m.cli("umount", m.mnt.toString());
      assertEquals(0, u.code(), u.out());
      assertFalse(m.mounted());
      m.sh("cmp u.src store/u.bin");
    } finally {
      m.close();
    }
  }

  @Test
  void refusesWithOneLineReasons() throws Exception {
    Mounted m = new Mounted(root);
    Mounted.Result missing = m.cli("mount", "--store", "file://" + m.store, "--state-dir",
        m.state.toString(), root.resolve("nope").toString());
    assertEquals(1, missing.code(), missing.out());
    assertTrue(missing.out().contains("does not exist"), missing.out());
    Files.writeString(root.resolve("file-store"), "x");
    Mounted.Result badStore = m.cli("mount", "--store", "file://" + root.resolve("file-store"),
        "--state-dir", root.resolve("state2").toString(), m.mnt.toString());
    assertEquals(1, badStore.code(), badStore.out());
    assertTrue(badStore.out().contains("not usable"), badStore.out());
    assertFalse(m.mounted());
  }

  @Test
  void aColdReadOnASlowStoreDoesNotBlockLs() throws Exception {
    Mounted m = new Mounted(root, "--chunk-size", "1M", "--test-read-latency-ms", "3000");
    try {
      m.start();
      m.sh("head -c 2000000 /dev/urandom > mnt/slow.bin && mkdir mnt/dir && echo hi > mnt/dir/small");
      assertEquals(0, m.cli("sync", m.mnt.toString()).code());
      m.sh("(cat mnt/slow.bin > /dev/null; date +%s%N > cat.done) > /dev/null 2>&1 & echo started");
      Thread.sleep(300);
      long t0 = System.nanoTime();
      m.sh("ls -l mnt mnt/dir > /dev/null && stat mnt/dir/small > /dev/null");
      long took = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(took < 1500, "ls took " + took + " ms while a cold read waited on the store");
      assertFalse(Files.exists(root.resolve("cat.done")), "the cold read was still waiting");
      m.sh("for i in $(seq 1 100); do [ -f cat.done ] && break; sleep 0.1; done; test -f cat.done");
    } finally {
      m.close();
    }
  }
}

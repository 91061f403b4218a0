package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -o noxattr}: the mount answers no xattr call (the kernel stops asking, so {@code ls -l} costs no
 * xattr probes), everything else works, and the CLI still finds the daemon through its registry file.
 */
class NoXattrMountIT {
  @TempDir
  Path root;

  @Test
  void xattrsAreRefusedAndEverythingElseWorks() throws Exception {
    try (Mounted m = new Mounted(root, "-o", "noxattr").start()) {
      m.sh("head -c 3000000 /dev/urandom > src.bin && cp src.bin mnt/f.bin && mkdir mnt/d && echo hi > mnt/d/x");
      Mounted.Result get = m.run("getfattr -n user.streamfs.status mnt/f.bin 2>&1");
      assertNotEquals(0, get.code(), get.out());
      assertTrue(get.out().contains("not supported"), get.out());
      Mounted.Result set = m.run("setfattr -n user.note -v 1 mnt/f.bin 2>&1");
      assertNotEquals(0, set.code(), set.out());
      Mounted.Result ls = m.run("ls -l mnt mnt/d");
      assertEquals(0, ls.code(), ls.out());
      assertTrue(ls.out().contains("f.bin") && ls.out().contains("x"), ls.out());
      Mounted.Result sync = m.cli("sync", m.mnt.toString());
      assertEquals(0, sync.code(), sync.out());
      m.sh("cmp src.bin store/f.bin && cmp src.bin mnt/f.bin && test \"$(cat mnt/d/x)\" = hi");
    }
  }
}

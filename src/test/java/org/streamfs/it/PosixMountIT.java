package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POSIX corners of a real mount, driven by ordinary tools: mkfifo, mknod, a unix socket bound by python3,
 * ln refused with "Operation not permitted", touch -a / -m kept apart and across a remount, mv over
 * existing files, special files and directories, a path of ~3,000 bytes made by mkdir -p and cp, and
 * fallocate (allocate, punch, zero, keep-size; collapse refused) compared with the same calls on ext4.
 */
class PosixMountIT {
  @TempDir
  Path root;
  Mounted m;

  @BeforeEach
  void mount() throws Exception {
    m = new Mounted(root).start();
  }

  @AfterEach
  void unmount() throws Exception {
    if (m != null) {
      m.close();
    }
    new ProcessBuilder("rm", "-rf", root.resolve("store").toString()).start().waitFor();
  }

  private boolean root() throws Exception {
    return m.sh("id -u").strip().equals("0");
  }

  @Test
  void fallocateAsOnExt4WhereAStoreCanAndEopnotsuppWhereItCannot() throws Exception {
    m.sh("fallocate -l 3M mnt/fa && test $(stat -c %s mnt/fa) = 3145728");
    m.sh("head -c 3145728 /dev/urandom > fa.src && cp fa.src mnt/fa && cp fa.src fa.want");
    // punch a hole (size kept), zero a range past the end (size grows), allocate with KEEP_SIZE (nothing)
    m.sh("fallocate -p -o 1048576 -l 4096 mnt/fa && fallocate -p -o 1048576 -l 4096 fa.want");
    m.sh("fallocate -z -o 3000000 -l 500000 mnt/fa && fallocate -z -o 3000000 -l 500000 fa.want");
    m.sh("fallocate -n -o 0 -l 9000000 mnt/fa && fallocate -n -o 0 -l 9000000 fa.want");
    m.sh("cmp fa.want mnt/fa && test $(stat -c %s mnt/fa) = 3500000");
    Mounted.Result collapse = m.run("fallocate -c -o 0 -l 1048576 mnt/fa");
    assertNotEquals(0, collapse.code());
    assertTrue(collapse.out().contains("Operation not supported"), collapse.out());
    m.sh("cmp fa.want mnt/fa");
  }

  @Test
  void specialFilesAreMadeListedChangedAndRemoved() throws Exception {
    m.sh("mkfifo -m 640 mnt/fifo && python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); "
        + "s.bind('mnt/sock')\"");
    assertEquals("fifo 640", m.sh("stat -c '%F %a' mnt/fifo").strip());
    assertEquals("socket", m.sh("stat -c %F mnt/sock").strip());
    if (root()) {
      m.sh("mknod mnt/chr c 1 3 && mknod -m 600 mnt/blk b 7 9");
      assertEquals("character special file 1 3", m.sh("stat -c '%F %t %T' mnt/chr").strip());
      assertEquals("block special file 7 9 600", m.sh("stat -c '%F %t %T %a' mnt/blk").strip());
    }
    String ls = m.sh("ls -l mnt");
    assertTrue(ls.contains("prw-r-----") && ls.contains("srwx"), ls);
    // a fifo in the mount works as a fifo: the kernel carries the bytes
    assertEquals("through the fifo", m.sh("(echo 'through the fifo' > mnt/fifo &) ; cat mnt/fifo").strip());
    m.sh("chmod 604 mnt/fifo && mv mnt/fifo mnt/fifo2");
    assertEquals("fifo 604", m.sh("stat -c '%F %a' mnt/fifo2").strip());
    Mounted.Result again = m.run("mkfifo mnt/fifo2");
    assertNotEquals(0, again.code());
    assertTrue(again.out().contains("File exists"), again.out());
    m.sh("rm mnt/fifo2 mnt/sock && test ! -e mnt/fifo2 && test ! -e store/fifo2");
  }

  @Test
  void hardLinksAreRefusedWithEperm() throws Exception {
    m.sh("echo data > mnt/a");
    Mounted.Result r = m.run("ln mnt/a mnt/b");
    assertNotEquals(0, r.code());
    assertTrue(r.out().contains("Operation not permitted"), r.out());
    m.sh("test ! -e mnt/b");
    assertEquals("1", m.sh("stat -c %h mnt/a").strip());
  }

  @Test
  void atimeIsKeptApartFromMtimeAndAcrossARemount() throws Exception {
    m.sh("echo x > mnt/t && touch -m -d '2001-02-03 04:05:06 UTC' mnt/t && touch -a -d '2011-12-13 14:15:16 UTC' mnt/t");
    assertEquals("1323785716 981173106", m.sh("stat -c '%X %Y' mnt/t").strip());
    m.sh("cat mnt/t > /dev/null");
    assertEquals("1323785716", m.sh("stat -c %X mnt/t").strip(), "a read leaves atime");
    m.close();
    m = new Mounted(root).start();
    assertEquals("1323785716 981173106", m.sh("stat -c '%X %Y' mnt/t").strip());
  }

  @Test
  void mvOverExistingEntriesReplacesThem() throws Exception {
    m.sh("echo new > mnt/a && chmod 600 mnt/a && echo old-content > mnt/b && chmod 644 mnt/b");
    String before = m.sh("stat -c '%i %a %s' mnt/a").strip();
    m.sh("mv mnt/a mnt/b");
    assertEquals(before, m.sh("stat -c '%i %a %s' mnt/b").strip(), "b is a's inode and attributes now");
    assertEquals("new", m.sh("cat mnt/b").strip());
    m.sh("test ! -e mnt/a && ls mnt | grep -cx b | grep -qx 1");
    m.sh("mkfifo mnt/p && ln -s target mnt/l && mv mnt/p mnt/l");
    assertEquals("fifo", m.sh("stat -c %F mnt/l").strip());
    m.sh("mkdir -p mnt/d1/sub mnt/d2 mnt/full && echo 1 > mnt/full/x && echo f > mnt/file");
    m.sh("mv -T mnt/d1 mnt/d2 && test -d mnt/d2/sub && test ! -e mnt/d1");
    assertTrue(m.run("mv -T mnt/d2 mnt/full").out().contains("Directory not empty"));
    assertNotEquals(0, m.run("mv -T mnt/file mnt/full").code(), "a file does not replace a directory");
    assertNotEquals(0, m.run("mv -T mnt/d2 mnt/file").code(), "nor a directory a file");
    m.sh("test -f mnt/full/x && test -d mnt/d2/sub");
    assertEquals("f", m.sh("cat mnt/file").strip());
  }

  @Test
  void aPathOfThreeThousandBytesWorksWithMkdirAndCp() throws Exception {
    StringBuilder dir = new StringBuilder("mnt");
    for (int i = 0; i < 12; i++) {
      dir.append('/').append(Character.toString('a' + i).repeat(250));
    }
    String d = dir.toString();
    assertTrue(d.length() > 3000);
    m.sh("head -c 300000 /dev/urandom > long.src && mkdir -p " + d + " && cp long.src " + d + "/f && cmp long.src "
        + d + "/f");
    assertEquals("f", m.sh("ls " + d).strip());
    m.close();
    m = new Mounted(root).start();
    m.sh("cmp long.src " + d + "/f && rm -r mnt/" + "a".repeat(250) + " && test ! -e mnt/" + "a".repeat(250));
  }
}

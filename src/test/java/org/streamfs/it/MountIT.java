package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mount driven by ordinary tools in a real FUSE mount (child process, 1 MiB chunks so that small
 * files span several chunks): cp + cmp from 0 B to 300 MiB, sha256sum, rsync -a twice, mv, rm -r, dd with
 * seek and conv=notrunc, truncate, tar x, ls -l, xattrs, symlinks, sync, ENAMETOOLONG, a corrupted chunk
 * (EIO, never wrong bytes) and a cold read on a slow store that does not block ls.
 */
class MountIT {
  @TempDir
  static Path root;
  static Mounted m;

  @BeforeAll
  static void mount() throws Exception {
    m = new Mounted(root, "--chunk-size", "1M", "--max-dirty", "64M", "--cache-max-size", "32M").start();
  }

  @AfterAll
  static void unmount() throws Exception {
    if (m != null) {
      m.close();
    }
  }

  @Test
  void cpAndCmpFromEmptyToLarge() throws Exception {
    long[] sizes = {0, 1, 4095, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 5, 300L << 20};
    for (long size : sizes) {
      m.sh("head -c " + size + " /dev/urandom > src-" + size + " && cp src-" + size + " mnt/f-" + size
          + " && cmp src-" + size + " mnt/f-" + size);
    }
    m.sh("test $(stat -c %s mnt/f-314572800) = 314572800");
    assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    for (long size : sizes) {
      m.sh("cmp src-" + size + " store/f-" + size + " && rm src-" + size);
    }
    m.sh("rm mnt/f-314572800");
  }

  @Test
  void catAndSha256sum() throws Exception {
    m.sh("head -c 2500000 /dev/urandom > sh.src && cp sh.src mnt/sh.bin");
    String a = m.sh("sha256sum < sh.src");
    String b = m.sh("cat mnt/sh.bin | sha256sum");
    assertEquals(a, b);
  }

  @Test
  void rsyncTwiceSendsNothingTheSecondTime() throws Exception {
    m.sh("mkdir -p many/a many/b && for i in $(seq 1 1000); do echo $i > many/a/f$i; echo x$i > many/b/g$i; done");
    m.sh("rsync -a many/ mnt/many/");
    m.sh("diff -r many mnt/many");
    String second = m.sh("rsync -a --stats many/ mnt/many/");
    assertTrue(second.contains("Number of regular files transferred: 0"), second);
    String ls = m.sh("ls -l mnt/many/a | wc -l");
    assertEquals("1001", ls.strip());
  }

  @Test
  void mvAndRmRecursive() throws Exception {
    m.sh("mkdir -p mnt/tree/x/y && echo 1 > mnt/tree/x/y/one && echo 2 > mnt/tree/two");
    // sync(1) does not reach a FUSE daemon: 'streamfs sync' is what waits for closed files to be stored
    assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    // a local store renames the directory itself (atomic, no bytes copied): same inodes after the mv
    m.sh("stat -c %i store/tree store/tree/x/y/one > ino.before");
    m.sh("mv mnt/tree mnt/tree2 && test -f mnt/tree2/x/y/one && test ! -e mnt/tree");
    m.sh("stat -c %i store/tree2 store/tree2/x/y/one | cmp - ino.before");
    assertEquals("1", m.sh("cat mnt/tree2/x/y/one").strip());
    m.sh("mv mnt/tree2/two mnt/tree2/x/three && test \"$(cat mnt/tree2/x/three)\" = 2");
    m.sh("rm -r mnt/tree2 && test ! -e mnt/tree2 && test ! -e store/tree2");
  }

  @Test
  void ddSeekNotruncAndTruncate() throws Exception {
    m.sh("head -c 5000000 /dev/urandom > dd.src && cp dd.src mnt/dd.bin && cp dd.src dd.ref");
    m.sh("dd if=/dev/zero of=mnt/dd.bin bs=4096 seek=300 count=3 conv=notrunc status=none");
    m.sh("dd if=/dev/zero of=dd.ref bs=4096 seek=300 count=3 conv=notrunc status=none");
    m.sh("cmp dd.ref mnt/dd.bin");
    m.sh("dd if=/dev/urandom of=dd.tail bs=1000 count=1 status=none");
    m.sh("dd if=dd.tail of=mnt/dd.bin bs=1000 seek=7000 conv=notrunc status=none");
    m.sh("dd if=dd.tail of=dd.ref bs=1000 seek=7000 conv=notrunc status=none");
    m.sh("cmp dd.ref mnt/dd.bin");
    m.sh("truncate -s 1234567 mnt/dd.bin && truncate -s 1234567 dd.ref && cmp dd.ref mnt/dd.bin");
    m.sh("truncate -s 3000000 mnt/dd.bin && truncate -s 3000000 dd.ref && cmp dd.ref mnt/dd.bin");
    assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    m.sh("cmp dd.ref store/dd.bin");
  }

  @Test
  void tarExtractAndLsL() throws Exception {
    m.sh("mkdir -p tsrc/sub && for i in $(seq 1 50); do head -c $((i*997)) /dev/urandom > tsrc/sub/t$i; done "
        + "&& ln -s sub/t1 tsrc/link && chmod 600 tsrc/sub/t2 && tar cf t.tar tsrc");
    m.sh("mkdir mnt/tarx && tar xf t.tar -C mnt/tarx && diff -r tsrc mnt/tarx/tsrc");
    assertEquals("sub/t1", m.sh("readlink mnt/tarx/tsrc/link").strip());
    assertEquals("-rw-------", m.sh("stat -c %A mnt/tarx/tsrc/sub/t2").strip());
    String ls = m.sh("ls -l mnt/tarx/tsrc/sub | tail -n +2 | wc -l");
    assertEquals("50", ls.strip());
  }

  @Test
  void xattrsAndStatus() throws Exception {
    m.sh("echo data > mnt/x.txt && setfattr -n user.color -v blue mnt/x.txt");
    assertTrue(m.sh("getfattr -n user.color --only-values mnt/x.txt").contains("blue"));
    assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    assertEquals("stored", m.sh("getfattr -n user.streamfs.status --only-values mnt/x.txt").strip());
    assertFalse(m.sh("getfattr -n user.streamfs.sha256 --only-values mnt/x.txt").isBlank());
    assertNotEquals(0, m.run("setfattr -n user.streamfs.status -v x mnt/x.txt").code());
    m.sh("setfattr -x user.color mnt/x.txt");
    assertNotEquals(0, m.run("getfattr -n user.color mnt/x.txt").code());
    assertEquals(m.state.toString(), m.sh("getfattr -n user.streamfs.statedir --only-values mnt").strip());
  }

  @Test
  void namesLongerThan255BytesAreRefused() throws Exception {
    String name = "n".repeat(256);
    Mounted.Result r = m.run("touch mnt/" + name);
    assertNotEquals(0, r.code());
    assertTrue(r.out().contains("too long"), r.out());
    m.sh("touch mnt/" + "n".repeat(255));
  }

  @Test
  void chmodUtimensAndDf() throws Exception {
    m.sh("echo x > mnt/perm && chmod 640 mnt/perm && touch -d '2001-02-03 04:05:06' mnt/perm");
    assertEquals("640", m.sh("stat -c %a mnt/perm").strip());
    assertEquals("981173106", m.sh("stat -c %Y mnt/perm").strip());
    m.sh("df mnt");
  }

  @Test
  void corruptedChunkGivesEioNeverWrongBytes() throws Exception {
    m.sh("head -c 3500000 /dev/urandom > c.src && cp c.src mnt/corrupt.bin");
    assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    Path stored = m.store.resolve("corrupt.bin");
    FileTime t = Files.getLastModifiedTime(stored);
    try (RandomAccessFile f = new RandomAccessFile(stored.toFile(), "rw")) {
      f.seek(1_500_000);
      int b = f.read();
      f.seek(1_500_000);
      f.write(b ^ 0xff);
    }
    Files.setLastModifiedTime(stored, t);
    Mounted.Result r = m.run("cat mnt/corrupt.bin > c.out");
    assertNotEquals(0, r.code(), "reading a corrupted chunk must fail");
    assertTrue(r.out().contains("Input/output error"), r.out());
    m.sh("cmp -n 1048576 c.src mnt/corrupt.bin");
  }
}

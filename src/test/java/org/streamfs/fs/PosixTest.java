package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreLimits;
import org.streamfs.store.middleware.StoreCall;
import org.streamfs.store.middleware.StoreDecorator;
import org.streamfs.store.middleware.StoreOp;

/**
 * The POSIX corners pjdfstest checks, at the StreamFs level over a real local store: special files made
 * by mknod, hard links refused with EPERM, rename onto an existing entry, atime kept apart from mtime,
 * ctime and a directory's times following changes, and paths as long as PATH_MAX.
 */
class PosixTest {
  @TempDir
  java.nio.file.Path root;
  FsFixture f;
  StreamFs fs;

  @BeforeEach
  void setUp() throws IOException {
    f = new FsFixture(root, 64, 1 << 20);
    fs = f.fs;
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    // paths longer than PATH_MAX: rm walks with openat, where the JDK (and so @TempDir's cleanup) cannot
    new ProcessBuilder("rm", "-rf", root.resolve("store").toString()).start().waitFor();
  }

  private void expectErrno(int errno, FsTest.Executable e) {
    IOException ex = assertThrows(IOException.class, e::run);
    assertEquals(errno, Errno.of("test", ex), ex.toString());
  }

  /** The same store seen by a fresh mount (no cache, no live files). */
  private StreamFs remounted() throws IOException {
    f.close();
    f = new FsFixture(root, 64, 1 << 20);
    fs = f.fs;
    return fs;
  }

  @Test
  void mknodMakesEveryKindOfSpecialFileWithItsTypeAndRdev() throws Exception {
    fs.mknod("/fifo", Attr.S_IFIFO | 0640, 0, 1000, 1000);
    fs.mknod("/sock", Attr.S_IFSOCK | 0755, 0, 1000, 1000);
    fs.mknod("/chr", Attr.S_IFCHR | 0600, 0x0102, 0, 0);
    fs.mknod("/blk", Attr.S_IFBLK | 0600, 0x0803, 0, 0);
    fs.mknod("/reg", Attr.S_IFREG | 0644, 0, 1000, 1000);
    fs.mknod("/plain", 0600, 0, 1000, 1000);
    for (StreamFs view : new StreamFs[] {fs, remounted()}) {
      assertEquals(Attr.S_IFIFO | 0640, view.getattr("/fifo").mode());
      assertEquals(Attr.S_IFSOCK | 0755, view.getattr("/sock").mode());
      assertEquals(Attr.S_IFCHR | 0600, view.getattr("/chr").mode());
      assertEquals(0x0102, view.getattr("/chr").rdev());
      assertEquals(Attr.S_IFBLK | 0600, view.getattr("/blk").mode());
      assertEquals(0x0803, view.getattr("/blk").rdev());
      assertEquals(Attr.S_IFREG | 0644, view.getattr("/reg").mode());
      assertEquals(Attr.S_IFREG | 0600, view.getattr("/plain").mode(), "type 0 is a regular file");
      assertEquals(0, view.getattr("/fifo").size());
      assertEquals(1, view.getattr("/fifo").nlink());
      assertEquals(List.of("blk", "chr", "fifo", "plain", "reg", "sock"),
          view.readdir("/").stream().sorted().toList());
    }
    assertTrue(fs.getattr("/fifo").isSpecial());
    assertFalse(fs.getattr("/reg").isSpecial());
  }

  @Test
  void specialFilesAreChangedRenamedAndRemovedLikeFiles() throws Exception {
    fs.mkdir("/d", 0755, 0, 0);
    fs.mknod("/d/p", Attr.S_IFIFO | 0644, 0, 0, 0);
    fs.chmod("/d/p", 0600);
    fs.chown("/d/p", 65534, 65533);
    Attr a = fs.getattr("/d/p");
    assertEquals(Attr.S_IFIFO | 0600, a.mode(), "chmod keeps the type bits");
    assertEquals(65534, a.uid());
    assertEquals(65533, a.gid());
    fs.rename("/d/p", "/q");
    expectErrno(Errno.ENOENT, () -> fs.getattr("/d/p"));
    assertEquals(Attr.S_IFIFO | 0600, fs.getattr("/q").mode());
    assertEquals(65534, fs.getattr("/q").uid(), "a rename keeps the owner");
    // open and truncate of a special file do not touch the store's object
    long fh = fs.open("/q", 0);
    assertEquals(0, fs.read(fh, 0, ByteBuffer.allocate(10)));
    fs.release(fh);
    expectErrno(Errno.EINVAL, () -> fs.truncate("/q", 10));
    expectErrno(Errno.EINVAL, () -> fs.open("/q", 1));
    fs.unlink("/q");
    expectErrno(Errno.ENOENT, () -> fs.getattr("/q"));
    assertTrue(Files.notExists(f.storeDir.resolve("q")));
  }

  @Test
  void creatingOverAnExistingNameIsEexist() throws Exception {
    fs.mknod("/p", Attr.S_IFIFO | 0644, 0, 0, 0);
    expectErrno(Errno.EEXIST, () -> fs.mknod("/p", Attr.S_IFIFO | 0644, 0, 0, 0));
    expectErrno(Errno.EEXIST, () -> fs.mknod("/p", Attr.S_IFREG | 0644, 0, 0, 0));
    expectErrno(Errno.EEXIST, () -> fs.symlink("target", "/p", 0, 0));
    expectErrno(Errno.EEXIST, () -> fs.mkdir("/p", 0755, 0, 0));
    fs.symlink("target", "/l", 0, 0);
    expectErrno(Errno.EEXIST, () -> fs.mknod("/l", Attr.S_IFSOCK | 0644, 0, 0, 0));
    expectErrno(Errno.EINVAL, () -> fs.mknod("/dir", Attr.S_IFDIR | 0755, 0, 0, 0));
    expectErrno(Errno.ENOENT, () -> fs.mknod("/none/p", Attr.S_IFIFO | 0644, 0, 0, 0));
  }

  @Test
  void hardLinksAreRefusedWithEperm() throws Exception {
    f.put("/a", new byte[] {1});
    fs.mknod("/p", Attr.S_IFIFO | 0644, 0, 0, 0);
    expectErrno(Errno.EPERM, () -> fs.link("/a", "/b"));
    expectErrno(Errno.EPERM, () -> fs.link("/p", "/q"));
    expectErrno(Errno.ENOENT, () -> fs.link("/missing", "/c"));
    expectErrno(Errno.ENOENT, () -> fs.getattr("/b"));
    assertEquals(1, fs.getattr("/a").nlink());
  }

  @Test
  void renameOntoAnExistingEntryReplacesItForEveryType() throws Exception {
    String[] kinds = {"file", "fifo", "socket", "symlink"};
    for (String from : kinds) {
      for (String to : kinds) {
        make(from, "/src", 1111);
        make(to, "/dst", 2222);
        Attr before = fs.getattr("/src");
        long replaced = fs.getattr("/dst").ino();
        fs.rename("/src", "/dst");
        expectErrno(Errno.ENOENT, () -> fs.getattr("/src"));
        Attr after = fs.getattr("/dst");
        assertEquals(before.mode(), after.mode(), from + " over " + to);
        assertEquals(before.ino(), after.ino(), from + " over " + to + ": the source's inode number");
        assertTrue(after.ino() != replaced && after.ino() > 1);
        assertEquals(1111, after.uid(), from + " over " + to + ": the owner follows the source");
        assertEquals(1, fs.readdir("/").stream().filter(n -> n.equals("dst")).count());
        assertEquals(after.mode(), remountedThenBack("/dst").mode(), "and is stored so");
        assertEquals(after.ino(), fs.getattr("/dst").ino(), "the inode number survives a remount");
        fs.unlink("/dst");
      }
    }
  }

  private Attr remountedThenBack(String path) throws IOException {
    return remounted().getattr(path);
  }

  private void make(String kind, String path, long uid) throws IOException {
    switch (kind) {
      case "file" -> {
        long fh = fs.create(path, 0640, uid, uid);
        fs.write(fh, 0, ByteBuffer.wrap(path.getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
      }
      case "fifo" -> fs.mknod(path, Attr.S_IFIFO | 0604, 0, uid, uid);
      case "socket" -> fs.mknod(path, Attr.S_IFSOCK | 0751, 0, uid, uid);
      default -> fs.symlink("t" + uid, path, uid, uid);
    }
  }

  @Test
  void renameOverAFileBeingWrittenDropsTheOldFile() throws Exception {
    f.put("/a", "new".getBytes(StandardCharsets.UTF_8));
    long fh = fs.create("/b", 0600, 7, 7);
    fs.write(fh, 0, ByteBuffer.wrap("old content".getBytes(StandardCharsets.UTF_8)));
    fs.rename("/a", "/b");
    assertEquals(3, fs.getattr("/b").size(), "the replaced file, still open, is no longer visible");
    assertEquals(Attr.S_IFREG | 0644, fs.getattr("/b").mode());
    fs.release(fh);
    f.sync();
    assertArrayEquals("new".getBytes(StandardCharsets.UTF_8), f.get("/b"));
    assertArrayEquals("new".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f.storeDir.resolve("b")));
  }

  @Test
  void renameOfDirectoriesOverExistingEntries() throws Exception {
    fs.mkdir("/a", 0700, 5, 5);
    f.put("/a/inside", new byte[] {1});
    fs.mkdir("/empty", 0755, 0, 0);
    fs.mkdir("/full", 0755, 0, 0);
    f.put("/full/x", new byte[] {2});
    f.put("/file", new byte[] {3});
    expectErrno(Errno.ENOTEMPTY, () -> fs.rename("/a", "/full"));
    expectErrno(Errno.ENOTDIR, () -> fs.rename("/a", "/file"));
    expectErrno(Errno.EISDIR, () -> fs.rename("/file", "/empty"));
    fs.rename("/a", "/empty");
    expectErrno(Errno.ENOENT, () -> fs.getattr("/a"));
    Attr d = fs.getattr("/empty");
    assertEquals(Attr.S_IFDIR | 0700, d.mode(), "the moved directory's mode, not the replaced one's");
    assertEquals(5, d.uid());
    assertEquals(List.of("inside"), fs.readdir("/empty"));
    assertEquals(Attr.S_IFDIR | 0700, remounted().getattr("/empty").mode());
  }

  @Test
  void atimeIsKeptApartFromMtimeAndSurvivesARemount() throws Exception {
    f.put("/f", new byte[] {1, 2, 3});
    fs.mknod("/p", Attr.S_IFIFO | 0644, 0, 0, 0);
    fs.mkdir("/d", 0755, 0, 0);
    Instant at = Instant.ofEpochSecond(1_900_000_000L, 5);
    Instant mt = Instant.ofEpochSecond(1_950_000_000L, 7);
    for (String p : List.of("/f", "/p", "/d")) {
      fs.setTimes(p, at, mt);
    }
    f.sync();
    for (StreamFs view : new StreamFs[] {fs, remounted()}) {
      for (String p : List.of("/f", "/p", "/d")) {
        Attr a = view.getattr(p);
        assertEquals(1_900_000_000L, a.atimeSec(), p);
        assertEquals(5, a.atimeNanos(), p);
        assertEquals(1_950_000_000L, a.mtimeSec(), p);
        assertEquals(7, a.mtimeNanos(), p);
      }
    }
    // UTIME_OMIT: a null time is left as it is
    fs.setTimes("/f", Instant.ofEpochSecond(1000), null);
    assertEquals(1000, fs.getattr("/f").atimeSec());
    assertEquals(1_950_000_000L, fs.getattr("/f").mtimeSec());
    fs.setTimes("/f", null, Instant.ofEpochSecond(2000));
    assertEquals(1000, fs.getattr("/f").atimeSec());
    assertEquals(2000, fs.getattr("/f").mtimeSec());
    byte[] read = f.get("/f");
    assertEquals(3, read.length);
    assertEquals(1000, fs.getattr("/f").atimeSec(), "a read leaves atime as it is");
  }

  @Test
  void ctimeFollowsAttributeChangesAndADirectoryFollowsItsEntries() throws Exception {
    fs.mkdir("/d", 0755, 0, 0);
    fs.setTimes("/d", Instant.ofEpochSecond(100), Instant.ofEpochSecond(100));
    Attr d0 = fs.getattr("/d");
    assertEquals(100, d0.mtimeSec());
    fs.mknod("/d/p", Attr.S_IFIFO | 0644, 0, 0, 0);
    Attr d1 = fs.getattr("/d");
    assertTrue(d1.mtimeSec() > 100 && d1.ctimeSec() > 100, "creating an entry changes the directory");
    fs.setTimes("/d/p", Instant.ofEpochSecond(100), Instant.ofEpochSecond(100));
    Attr p = fs.getattr("/d/p");
    assertEquals(100, p.mtimeSec());
    assertTrue(p.ctimeSec() > 1_000_000_000L, "utimensat is itself a status change");
    fs.setTimes("/d", null, Instant.ofEpochSecond(200));
    assertEquals(200, fs.getattr("/d").mtimeSec(), "utimensat of the directory wins over its last change");
    fs.chmod("/d", 0700);
    assertEquals(200, fs.getattr("/d").mtimeSec(), "chmod leaves mtime");
    fs.unlink("/d/p");
    assertTrue(fs.getattr("/d").mtimeSec() > 200, "removing an entry changes the directory");
  }

  @Test
  void pathsUpToPathMaxWork() throws Exception {
    // 16 components of 255 bytes: a 4,095-byte path, as pjdfstest's dirgen_max makes
    StringBuilder dir = new StringBuilder();
    for (int i = 0; i < 15; i++) {
      dir.append('/').append(Character.toString('a' + i).repeat(255));
      fs.mkdir(dir.toString(), 0755, 0, 0);
    }
    String file = dir + "/" + "z".repeat(4095 - dir.length());
    assertEquals(4096, file.length());
    long fh = fs.create(file, 0644, 0, 0);
    fs.write(fh, 0, ByteBuffer.wrap("deep".getBytes(StandardCharsets.UTF_8)));
    fs.release(fh);
    f.sync();
    assertArrayEquals("deep".getBytes(StandardCharsets.UTF_8), f.get(file));
    fs.chmod(file, 0600);
    fs.mknod(dir + "/fifo", Attr.S_IFIFO | 0644, 0, 0, 0);
    fs.symlink("x", dir + "/link", 0, 0);
    assertEquals(3, fs.readdir(dir.toString()).size());
    fs.rename(file, dir + "/moved");
    assertEquals(Attr.S_IFREG | 0600, remounted().getattr(dir + "/moved").mode());
    assertArrayEquals("deep".getBytes(StandardCharsets.UTF_8), f.get(dir + "/moved"));
    String top = dir.substring(0, 256);
    fs.rename(top, "/top2");
    assertArrayEquals("deep".getBytes(StandardCharsets.UTF_8), f.get("/top2" + dir.substring(256) + "/moved"));
  }

  @Test
  void pathsBeyondTheStoresLimitAreEnametoolong() throws Exception {
    expectErrno(Errno.ENAMETOOLONG, () -> fs.mknod("/" + "n".repeat(256), Attr.S_IFIFO | 0644, 0, 0, 0));
    assertEquals(16 << 10, fs.maxKeyBytes(), "a local store takes keys well beyond PATH_MAX");
    String tooLong = deepPath(fs.maxKeyBytes() + 2);
    expectErrno(Errno.ENAMETOOLONG, () -> fs.create(tooLong, 0644, 0, 0));
    expectErrno(Errno.ENAMETOOLONG, () -> fs.getattr(tooLong));
    expectErrno(Errno.ENAMETOOLONG, () -> fs.mkdir(tooLong, 0755, 0, 0));
  }

  @Test
  void aStoreWithS3sKeyLimitAnswersEnametoolongPastIt() throws Exception {
    f.close();
    f = new FsFixture(root.resolve("s3like"), 64, 1 << 20, store -> new StoreDecorator(store) {
      @Override
      protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
        return call.call();
      }

      @Override
      public StoreLimits limits() {
        return new StoreLimits(1, Long.MAX_VALUE, Integer.MAX_VALUE, 1024);
      }
    });
    fs = f.fs;
    String fits = deepPath(1000);
    parents(fits);
    f.put(fits, new byte[] {1});
    assertEquals(1, fs.getattr(fits).size());
    String over = fits.substring(0, fits.lastIndexOf('/')) + "/" + "x".repeat(250);
    expectErrno(Errno.ENAMETOOLONG, () -> fs.create(over, 0644, 0, 0));
    expectErrno(Errno.ENAMETOOLONG, () -> fs.mknod(over, Attr.S_IFIFO | 0644, 0, 0, 0));
    expectErrno(Errno.ENAMETOOLONG, () -> fs.rename(fits, over));
    assertEquals(1, fs.getattr(fits).size(), "a refused rename leaves the source");
  }

  /** A path of exactly {@code bytes} bytes: directories of 200-byte names, then a file name. */
  private static String deepPath(int bytes) {
    StringBuilder p = new StringBuilder();
    while (p.length() + 203 <= bytes) {
      p.append('/').append("d".repeat(200));
    }
    return p.append('/').append("f".repeat(bytes - p.length() - 1)).toString();
  }

  /** mkdir -p of the directories of {@code path}. */
  private void parents(String path) throws IOException {
    for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
      fs.mkdir(path.substring(0, i), 0755, 0, 0);
    }
  }
}

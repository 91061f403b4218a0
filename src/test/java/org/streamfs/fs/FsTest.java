package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.StoreException;
import org.streamfs.store.middleware.StoreOp;

/** POSIX semantics of {@link StreamFs} over a real local store, without a kernel (64-byte chunks). */
class FsTest {
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
  void tearDown() {
    f.close();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static int errno(IOException e) {
    return Errno.of("test", e);
  }

  private void expectErrno(int errno, Executable e) {
    IOException ex = assertThrows(IOException.class, e::run);
    assertEquals(errno, errno(ex), ex.toString());
  }

  interface Executable {
    void run() throws IOException;
  }

  @Test
  void aDirectoryListingIsKeptUntilSomethingInItChanges() throws Exception {
    fs.mkdir("/d", 0755, 1000, 1000);
    f.put("/d/a", random(10, 1));
    f.put("/d/b", random(10, 2));
    f.sync();
    assertEquals(List.of("a", "b"), fs.readdir("/d").stream().sorted().toList());
    long lists = f.store.calls(StoreOp.LIST);
    for (int i = 0; i < 5; i++) {
      assertEquals(List.of("a", "b"), fs.readdir("/d").stream().sorted().toList());
      fs.getattr("/d/a");
    }
    assertEquals(lists, f.store.calls(StoreOp.LIST), "readdir and getattr were answered from the cache");

    fs.unlink("/d/a");
    assertEquals(List.of("b"), fs.readdir("/d"), "an unlink shows at once");
    f.put("/d/c", random(10, 3));
    assertEquals(List.of("b", "c"), fs.readdir("/d").stream().sorted().toList(), "a new file, while uploading");
    f.sync();
    assertEquals(List.of("b", "c"), fs.readdir("/d").stream().sorted().toList(), "and once stored");
    fs.rename("/d/b", "/d/e");
    assertEquals(List.of("c", "e"), fs.readdir("/d").stream().sorted().toList(), "a rename shows at once");
    fs.mkdir("/d/sub", 0755, 1000, 1000);
    assertTrue(fs.readdir("/d").contains("sub"), "a mkdir shows at once");
    fs.rmdir("/d/sub");
    assertTrue(!fs.readdir("/d").contains("sub"), "an rmdir shows at once");

    Files.write(f.storeDir.resolve("d/other"), random(5, 4));
    assertTrue(!fs.readdir("/d").contains("other"), "a change behind the mount waits for the TTL");
  }

  @Test
  void writtenFileIsVisibleAtOnceAndStoredWholeAfterUpload() throws Exception {
    byte[] data = random(1000, 1);
    long fh = fs.create("/a.bin", 0640, 1000, 1000);
    fs.write(fh, 0, ByteBuffer.wrap(data));
    assertEquals(1000, fs.getattr("/a.bin").size());
    assertTrue(fs.readdir("/").contains("a.bin"));
    fs.flush(fh);
    fs.release(fh);
    f.sync();
    assertArrayEquals(data, Files.readAllBytes(f.storeDir.resolve("a.bin")));
    assertArrayEquals(data, f.get("/a.bin"));
    Attr a = fs.getattr("/a.bin");
    assertEquals(Attr.S_IFREG | 0640, a.mode());
    assertEquals(1000, a.uid());
  }

  @Test
  void emptyFileIsStored() throws Exception {
    f.put("/empty", new byte[0]);
    f.sync();
    assertEquals(0, Files.size(f.storeDir.resolve("empty")));
    assertEquals(0, fs.getattr("/empty").size());
  }

  @Test
  void overwriteInTheMiddleResendsOnlyTheChangedChunk() throws Exception {
    byte[] data = random(64 * 10, 2);
    f.put("/big", data);
    f.sync();
    long partsBefore = f.store.calls(StoreOp.UPLOAD_PART);
    long copiesBefore = f.store.calls(StoreOp.COPY_PART);
    long fh = fs.open("/big", 1);
    fs.write(fh, 64 * 4 + 10, ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
    fs.flush(fh);
    fs.release(fh);
    f.sync();
    System.arraycopy("hello".getBytes(StandardCharsets.UTF_8), 0, data, 64 * 4 + 10, 5);
    assertArrayEquals(data, Files.readAllBytes(f.storeDir.resolve("big")));
    assertEquals(1, f.store.calls(StoreOp.UPLOAD_PART) - partsBefore, "only the changed chunk is sent");
    assertEquals(9, f.store.calls(StoreOp.COPY_PART) - copiesBefore, "the rest is copied server-side");
  }

  @Test
  void truncateShrinksAndGrowsWithZeros() throws Exception {
    byte[] data = random(300, 3);
    f.put("/t", data);
    f.sync();
    fs.truncate("/t", 100);
    fs.truncate("/t", 250);
    f.sync();
    byte[] want = Arrays.copyOf(Arrays.copyOf(data, 100), 250);
    assertArrayEquals(want, f.get("/t"));
    assertArrayEquals(want, Files.readAllBytes(f.storeDir.resolve("t")));
  }

  @Test
  void anAbsurdSizeIsEfbigAtOnceAndTheFileIsUntouched() throws Exception {
    byte[] data = random(300, 5);
    f.put("/big", data);
    f.sync();
    long t0 = System.nanoTime();
    expectErrno(Errno.EFBIG, () -> fs.truncate("/big", 999_999_999_999_999L)); // pjdfstest truncate/12.t
    long fh = fs.open("/big", 2);
    try {
      expectErrno(Errno.EFBIG, () -> fs.ftruncate(fh, StreamFs.MAX_FILE_SIZE + 1));
      expectErrno(Errno.EFBIG, () -> fs.write(fh, StreamFs.MAX_FILE_SIZE, ByteBuffer.wrap(new byte[] {1})));
    } finally {
      fs.release(fh);
    }
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once, not attempted");
    f.sync();
    assertArrayEquals(data, f.get("/big"));
  }

  @Test
  void writePastTheEndLeavesAHoleOfZeros() throws Exception {
    f.put("/h", random(70, 4));
    f.sync();
    long fh = fs.open("/h", 2);
    fs.write(fh, 500, ByteBuffer.wrap(new byte[] {7}));
    fs.release(fh);
    f.sync();
    byte[] got = Files.readAllBytes(f.storeDir.resolve("h"));
    assertEquals(501, got.length);
    assertEquals(0, got[300]);
    assertEquals(7, got[500]);
  }

  @Test
  void namespaceErrors() throws Exception {
    expectErrno(Errno.ENOENT, () -> fs.getattr("/missing"));
    expectErrno(Errno.ENAMETOOLONG, () -> fs.create("/" + "x".repeat(256), 0644, 0, 0));
    expectErrno(Errno.ENAMETOOLONG, () -> fs.getattr("/" + "x".repeat(256)));
    fs.mkdir("/d", 0755, 0, 0);
    expectErrno(Errno.EEXIST, () -> fs.mkdir("/d", 0755, 0, 0));
    f.put("/d/f", new byte[] {1});
    expectErrno(Errno.ENOTEMPTY, () -> fs.rmdir("/d"));
    expectErrno(Errno.EISDIR, () -> fs.unlink("/d"));
    expectErrno(Errno.ENOTDIR, () -> fs.rmdir("/d/f"));
    expectErrno(Errno.ENOTDIR, () -> fs.readdir("/d/f"));
    expectErrno(Errno.ENOENT, () -> fs.create("/nodir/x", 0644, 0, 0));
    expectErrno(Errno.ENOTDIR, () -> fs.create("/d/f/x", 0644, 0, 0));
    fs.unlink("/d/f");
    fs.rmdir("/d");
    expectErrno(Errno.ENOENT, () -> fs.getattr("/d"));
  }

  @Test
  void renameFilesAndDirectories() throws Exception {
    fs.mkdir("/src", 0750, 0, 0);
    fs.mkdir("/src/sub", 0755, 0, 0);
    f.put("/src/sub/one", "1".getBytes(StandardCharsets.UTF_8));
    f.put("/src/two", "2".getBytes(StandardCharsets.UTF_8));
    fs.rename("/src", "/dst");
    expectErrno(Errno.ENOENT, () -> fs.getattr("/src"));
    assertEquals(List.of("sub", "two"), fs.readdir("/dst").stream().sorted().toList());
    assertArrayEquals("1".getBytes(StandardCharsets.UTF_8), f.get("/dst/sub/one"));
    assertEquals(0750, fs.getattr("/dst").mode() & 07777);
    f.put("/other", "o".getBytes(StandardCharsets.UTF_8));
    fs.rename("/other", "/dst/two");
    assertArrayEquals("o".getBytes(StandardCharsets.UTF_8), f.get("/dst/two"));
    expectErrno(Errno.EISDIR, () -> fs.rename("/dst/two", "/dst/sub"));
    fs.mkdir("/empty", 0755, 0, 0);
    expectErrno(Errno.ENOTEMPTY, () -> fs.rename("/empty", "/dst"));
  }

  @Test
  void renameRightAfterCloseMovesTheWholeFile() throws Exception {
    byte[] data = random(1000, 5);
    long fh = fs.create("/.tmp.x", 0644, 0, 0);
    fs.write(fh, 0, ByteBuffer.wrap(data));
    fs.flush(fh);
    fs.rename("/.tmp.x", "/x");
    fs.release(fh);
    f.sync();
    assertArrayEquals(data, Files.readAllBytes(f.storeDir.resolve("x")));
    assertTrue(Files.notExists(f.storeDir.resolve(".tmp.x")));
  }

  @Test
  void attributesSymlinksAndXattrs() throws Exception {
    f.put("/file", "content".getBytes(StandardCharsets.UTF_8));
    fs.chmod("/file", 0600);
    fs.chown("/file", 42, 43);
    fs.setMtime("/file", 1_000_000_000L, 123);
    f.sync();
    Attr a = fs.getattr("/file");
    assertEquals(Attr.S_IFREG | 0600, a.mode());
    assertEquals(42, a.uid());
    assertEquals(43, a.gid());
    assertEquals(1_000_000_000L, a.mtimeSec());
    assertEquals(123, a.mtimeNanos());
    fs.symlink("file", "/link", 0, 0);
    assertTrue(fs.getattr("/link").isSymlink());
    assertEquals("file", fs.readlink("/link"));
    expectErrno(Errno.EINVAL, () -> fs.readlink("/file"));
    fs.setxattr("/file", "user.Color", new byte[] {1, 2, 3}, 0);
    assertArrayEquals(new byte[] {1, 2, 3}, fs.getxattr("/file", "user.Color"));
    assertTrue(fs.listxattr("/file").contains("user.Color"));
    expectErrno(Errno.EEXIST, () -> fs.setxattr("/file", "user.Color", new byte[] {9}, 1));
    expectErrno(Errno.EPERM, () -> fs.setxattr("/file", "user.streamfs.status", new byte[] {9}, 0));
    assertEquals("stored", new String(fs.getxattr("/file", "user.streamfs.status"), StandardCharsets.UTF_8));
    fs.removexattr("/file", "user.Color");
    expectErrno(Errno.ENODATA, () -> fs.getxattr("/file", "user.Color"));
    assertEquals(Attr.S_IFREG | 0600, fs.getattr("/file").mode(), "xattr changes keep the mode");
  }

  @Test
  void xattrsPastTheirRoomAreRefusedWithEnospcAndTheFileStillUploads() throws Exception {
    long fh = fs.create("/x", 0644, 0, 0);
    fs.write(fh, 0, ByteBuffer.wrap(random(100, 7)));
    fs.setxattr("/x", "user.a", new byte[1000], 0);
    expectErrno(Errno.ENOSPC, () -> fs.setxattr("/x", "user.b", new byte[3000], 0));
    fs.flush(fh);
    fs.release(fh);
    fs.fsync(fs.open("/x", 0));
    assertArrayEquals(random(100, 7), f.get("/x"), "the open file's upload did not fail");
    assertEquals(1000, fs.getxattr("/x", "user.a").length);
    expectErrno(Errno.ENODATA, () -> fs.getxattr("/x", "user.b"));
    expectErrno(Errno.ENOSPC, () -> fs.setxattr("/x", "user.c", new byte[3500], 0));
  }

  @Test
  void fallocateGrowsPunchesAndZeroesAndRefusesWhatAStoreCannot() throws Exception {
    byte[] data = random(300, 8);
    f.put("/fa", data);
    long fh = fs.open("/fa", 2);
    fs.fallocate(fh, 0, 0, 200);
    assertEquals(300, fs.getattr("/fa").size(), "allocating inside the file changes nothing");
    fs.fallocate(fh, StreamFs.FALLOC_FL_KEEP_SIZE, 0, 1000);
    assertEquals(300, fs.getattr("/fa").size());
    fs.fallocate(fh, StreamFs.FALLOC_FL_PUNCH_HOLE | StreamFs.FALLOC_FL_KEEP_SIZE, 100, 50);
    fs.fallocate(fh, StreamFs.FALLOC_FL_ZERO_RANGE, 280, 40);
    fs.fallocate(fh, 0, 0, 400);
    expectErrno(Errno.ENOTSUP, () -> fs.fallocate(fh, StreamFs.FALLOC_FL_PUNCH_HOLE, 0, 10));
    expectErrno(Errno.ENOTSUP, () -> fs.fallocate(fh, 0x08, 0, 64)); // COLLAPSE_RANGE
    expectErrno(Errno.EINVAL, () -> fs.fallocate(fh, 0, 0, 0));
    fs.flush(fh);
    fs.release(fh);
    byte[] want = new byte[400];
    System.arraycopy(data, 0, want, 0, 300);
    java.util.Arrays.fill(want, 100, 150, (byte) 0);
    java.util.Arrays.fill(want, 280, 320, (byte) 0);
    assertArrayEquals(want, f.get("/fa"));
  }

  @Test
  void statusOfAFileBeingWritten() throws Exception {
    long fh = fs.create("/w", 0644, 0, 0);
    fs.write(fh, 0, ByteBuffer.wrap(random(200, 6)));
    assertEquals("writing", new String(fs.getxattr("/w", "user.streamfs.status"), StandardCharsets.UTF_8));
    fs.release(fh);
    f.sync();
    assertEquals("stored", new String(fs.getxattr("/w", "user.streamfs.status"), StandardCharsets.UTF_8));
  }

  @Test
  void errnoCoversEveryStoreKind() {
    for (StoreException.Kind k : StoreException.Kind.values()) {
      assertTrue(Errno.ofKind(k) > 0, k.name());
    }
    assertEquals(Errno.ENOENT, Errno.of("t", StoreException.notFound("k")));
    assertEquals(Errno.ESTALE, Errno.ofKind(StoreException.Kind.PRECONDITION_FAILED));
    assertEquals(Errno.ENOSPC, Errno.of("t", new IOException("No space left on device")));
    assertEquals(Errno.EIO, Errno.of("t", new IllegalStateException("bug")));
  }
}

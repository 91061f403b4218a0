package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.cache.ChunkCache;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.middleware.StoreOp;

/**
 * Reads of a local-directory store without FUSE: objects are read in place (verified once per chunk, never
 * copied into the chunk cache), a chunk rotten in the store is an error rather than wrong bytes, an open
 * handle keeps reading the version it opened, and the kernel is told to keep its cached pages only for an
 * unchanged version.
 */
class InPlaceReadTest {
  static final int CHUNK = 64 * 1024;
  @TempDir Path root;
  FsFixture f;

  @BeforeEach
  void open() throws IOException {
    f = new FsFixture(root, CHUNK, 1 << 24);
  }

  @AfterEach
  void close() {
    f.close();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private ObjectInfo stored(String key) throws IOException {
    return f.engine.store().stat(key);
  }

  @Test
  void aLocalStoreIsReadInPlaceVerifiedOnceAndNotCopiedIntoTheCache() throws Exception {
    byte[] data = random(5 * CHUNK + 100, 1);
    f.put("/a.bin", data);
    f.sync();
    long before = f.store.calls(StoreOp.READ);
    assertArrayEquals(data, f.get("/a.bin"));
    long first = f.store.calls(StoreOp.READ) - before;
    assertTrue(first >= 7, "6 chunks fetched to be verified and the file opened: " + first + " reads");
    assertEquals(0, f.cache.size(), "nothing copied into the chunk cache");
    ObjectInfo o = stored("a.bin");
    for (int i = 0; i < 6; i++) {
      assertTrue(f.cache.verified(new ChunkCache.ChunkId("a.bin", o.version(), i)), "chunk " + i);
    }
    assertArrayEquals(data, f.get("/a.bin"));
    assertEquals(1, f.store.calls(StoreOp.READ) - before - first,
        "a second read opens the file and verifies nothing again");
  }

  @Test
  void aChunkRottenInTheStoreIsAnErrorNeverWrongBytes() throws Exception {
    byte[] data = random(4 * CHUNK, 2);
    f.put("/rot.bin", data);
    f.sync();
    Path file = f.storeDir.resolve("rot.bin");
    FileTime t = Files.getLastModifiedTime(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(2 * CHUNK + 17);
      int b = raf.read();
      raf.seek(2 * CHUNK + 17);
      raf.write(b ^ 0x01);
    }
    Files.setLastModifiedTime(file, t); // same version: bit rot, not a new object
    long fh = f.fs.open("/rot.bin", 0);
    try {
      ByteBuffer first = ByteBuffer.allocate(CHUNK);
      assertEquals(CHUNK, f.fs.read(fh, 0, first));
      assertArrayEquals(Arrays.copyOf(data, CHUNK), first.array(), "an intact chunk still reads");
      ByteBuffer bad = ByteBuffer.allocate(CHUNK);
      assertThrows(IOException.class, () -> f.fs.read(fh, 2 * CHUNK, bad));
      assertFalse(f.cache.verified(new ChunkCache.ChunkId("rot.bin", stored("rot.bin").version(), 2)));
    } finally {
      f.fs.release(fh);
    }
  }

  @Test
  void anOpenHandleKeepsReadingTheVersionItOpened() throws Exception {
    byte[] v1 = random(2 * CHUNK, 3);
    byte[] v2 = random(2 * CHUNK, 4);
    f.put("/doc.bin", v1);
    f.sync();
    long fh = f.fs.open("/doc.bin", 0);
    try {
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      f.fs.read(fh, 0, b);
      assertArrayEquals(Arrays.copyOf(v1, CHUNK), b.array());
      // another tool replaces the object in the store (a new file renamed over the key)
      Path tmp = f.storeDir.resolve("doc.bin.new");
      Files.write(tmp, v2);
      Files.move(tmp, f.storeDir.resolve("doc.bin"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      b.clear();
      f.fs.read(fh, 0, b);
      assertArrayEquals(Arrays.copyOf(v1, CHUNK), b.array(), "the handle's file is the version it verified");
    } finally {
      f.fs.release(fh);
    }
  }

  @Test
  void theKernelKeepsItsPagesOnlyForAnUnchangedVersion() throws Exception {
    f.put("/k.bin", random(3 * CHUNK, 5));
    f.sync();
    assertEquals(false, keepsCache(0), "first open of a version: the kernel drops what it had");
    assertEquals(true, keepsCache(0), "same version again: its pages are still right");
    f.put("/k.bin", random(3 * CHUNK, 6));
    f.sync();
    assertEquals(false, keepsCache(0), "a new version written through the mount");
    assertEquals(true, keepsCache(0));
    assertEquals(false, keepsCache(2), "a writer never keeps them");
    assertEquals(false, keepsCache(0), "nor the first reader after a writer");
    Files.write(f.storeDir.resolve("k.bin"), random(3 * CHUNK, 7)); // another tool, in place
    assertEquals(false, keepsCache(0), "a new version written by another tool");
  }

  private boolean keepsCache(int flags) throws IOException {
    long fh = f.fs.open("/k.bin", flags);
    try {
      return f.fs.keepCache(fh);
    } finally {
      f.fs.release(fh);
    }
  }
}

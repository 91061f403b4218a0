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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.testing.PassThrough;

/**
 * A file moved inside the mount (mv, rsync's temporary name renamed into place, a directory rename) keeps
 * the chunk checksums recorded when it was written: a chunk rotten in the store afterwards is an error,
 * never wrong bytes. A source replaced while it is copied gives no checksums to the copy.
 */
class RenameChecksumsTest {
  private static final int CHUNK = 64;

  @TempDir
  Path root;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void movedFilesStayVerified() throws Exception {
    try (FsFixture f = new FsFixture(root, CHUNK, 1 << 20)) {
      byte[] a = random(4 * CHUNK, 1);
      byte[] b = random(4 * CHUNK, 2);
      byte[] c = random(4 * CHUNK, 3);
      f.put("/a", a);
      f.fs.mkdir("/d", 0755, 0, 0);
      f.put("/d/c", c);
      // rsync: write under a temporary name, close, rename into place
      f.put("/.b.XyZ12", b);
      f.sync();
      f.fs.rename("/a", "/moved-a");
      f.fs.rename("/.b.XyZ12", "/b");
      f.fs.rename("/d", "/e");
      for (String[] p : new String[][] {{"/moved-a", "moved-a"}, {"/b", "b"}, {"/e/c", "e/c"}}) {
        assertTrue(f.engine.manifest(f.store.stat(p[1])).verifiable(), p[0] + " lost its chunk checksums");
      }
      assertArrayEquals(b, f.get("/b"));
      rot(f.storeDir.resolve("moved-a"), 2 * CHUNK + 5);
      rot(f.storeDir.resolve("e/c"), 3 * CHUNK + 1);
      assertThrows(IOException.class, () -> f.get("/moved-a"), "rot in a renamed file must not be served");
      assertThrows(IOException.class, () -> f.get("/e/c"), "rot in a file of a renamed directory");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"moves", "copies"})
  void aSourceReplacedDuringTheRenameGivesTheCopyNoChecksums(String mode) throws Exception {
    byte[] other = random(4 * CHUNK, 9);
    AtomicBoolean replace = new AtomicBoolean();
    try (FsFixture f = new FsFixture(root, CHUNK, 1 << 20, s -> new PassThrough(s) {
      @Override
      public boolean movesInPlace() {
        return mode.equals("moves");
      }

      private void maybeReplace(String fromKey) throws StoreException {
        if (replace.getAndSet(false)) { // another store client rewrites the source as the rename starts
          delegate.put(fromKey, other, Map.of());
        }
      }

      @Override
      public ObjectInfo moveInPlace(String fromKey, String toKey) throws StoreException {
        maybeReplace(fromKey);
        return delegate.moveInPlace(fromKey, toKey);
      }

      @Override
      public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
        maybeReplace(fromKey);
        return delegate.copy(fromKey, toKey);
      }
    })) {
      f.put("/a", random(4 * CHUNK, 8));
      f.sync();
      replace.set(true);
      f.fs.rename("/a", "/b");
      assertFalse(replace.get(), "the replacement did not run (" + mode + ")");
      assertFalse(f.engine.manifest(f.store.stat("b")).verifiable(),
          "the old version's checksums were recorded for other bytes");
      assertArrayEquals(other, f.get("/b"), "the copy's bytes read back (not EIO)");
    }
  }

  @Test
  void aMetadataUpdateThatChangesTheVersionKeepsTheChecksums() throws Exception {
    // as on S3, where new metadata is a copy onto itself and a multipart object's ETag changes
    try (FsFixture f = new FsFixture(root, CHUNK, 1 << 20, s -> new PassThrough(s) {
      @Override
      public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
        delegate.copy(key, key + ".v");
        delegate.copy(key + ".v", key);
        delegate.delete(key + ".v");
        return delegate.updateMetadata(key, metadata);
      }
    })) {
      byte[] a = random(4 * CHUNK, 4);
      f.put("/a", a);
      f.sync();
      String before = f.store.stat("a").version();
      f.fs.chmod("/a", 0600);
      // attributes set while the file uploads are stored after its commit
      long fh = f.fs.create("/b", 0644, 0, 0);
      f.fs.write(fh, 0, ByteBuffer.wrap(a));
      f.fs.flush(fh);
      f.fs.chmod("/b", 0640);
      f.fs.release(fh);
      f.sync();
      assertFalse(before.equals(f.store.stat("a").version()), "the test store must change the version");
      assertEquals(0600, f.fs.getattr("/a").mode() & 07777);
      assertEquals(0640, f.fs.getattr("/b").mode() & 07777);
      for (String k : new String[] {"a", "b"}) {
        assertTrue(f.engine.manifest(f.store.stat(k)).verifiable(), k + " lost its chunk checksums");
      }
      assertArrayEquals(a, f.get("/a"));
    }
  }

  /** Flips one byte in place, keeping the version (bit rot, not a new object). */
  private static void rot(Path file, long at) throws IOException {
    FileTime t = Files.getLastModifiedTime(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(at);
      int v = raf.read();
      raf.seek(at);
      raf.write(v ^ 0x10);
    }
    Files.setLastModifiedTime(file, t);
    assertEquals(t, Files.getLastModifiedTime(file));
  }
}

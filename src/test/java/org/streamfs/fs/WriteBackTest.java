package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.middleware.StoreOp;

/**
 * The write-back delay: a closed file's commit waits for a reopen that continues its session. Reopened
 * within the delay, a file is uploaded once for several closes; its bytes reach the store after the delay
 * or at a sync; a crash after a close resumes the upload with the newest staged bytes, never rolls it back.
 */
class WriteBackTest {
  @TempDir
  Path root;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(FsFixture f, String path, long offset, byte[] data) throws Exception {
    long fh = f.fs.open(path, 1);
    f.fs.write(fh, offset, ByteBuffer.wrap(data));
    f.fs.flush(fh);
    f.fs.release(fh);
  }

  private static void truncate(FsFixture f, String path, long size) throws Exception {
    f.fs.truncate(path, size);
  }

  private static long completions(FsFixture f) {
    return f.store.calls(StoreOp.COMPLETE_UPLOAD) + f.store.calls(StoreOp.PUT);
  }

  @Test
  void closesWithinTheDelayCoalesceIntoOneUpload() throws Exception {
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, UnaryOperator.identity(), 60_000)) {
      byte[] model = random(1000, 1);
      f.put("/a", model);
      // ten more open-write-close rounds, as a logger or an editor does
      for (int i = 0; i < 10; i++) {
        byte[] d = random(50, 10 + i);
        long at = (i * 97L) % 1200;
        write(f, "/a", at, d);
        if (at + d.length > model.length) {
          model = Arrays.copyOf(model, (int) (at + d.length));
        }
        System.arraycopy(d, 0, model, (int) at, d.length);
      }
      truncate(f, "/a", 1100);
      model = Arrays.copyOf(model, 1100);
      assertEquals(0, completions(f), "nothing completed before the delay passed");
      assertFalse(Files.exists(f.storeDir.resolve("a")), "in the store before the delay passed");
      assertArrayEquals(model, f.get("/a"), "reads see the staged bytes");
      f.sync(); // a sync hands the delayed commit over at once
      assertEquals(1, completions(f), "one upload for twelve closes");
      assertArrayEquals(model, Files.readAllBytes(f.storeDir.resolve("a")));
      assertArrayEquals(model, f.get("/a"));
    }
  }

  @Test
  void aClosedFileReachesTheStoreWhenTheDelayPasses() throws Exception {
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, UnaryOperator.identity(), 300)) {
      byte[] data = random(500, 2);
      f.put("/b", data);
      Path stored = f.storeDir.resolve("b");
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!Files.exists(stored) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(Files.exists(stored), "not uploaded 10 s after the close, without a sync");
      assertArrayEquals(data, Files.readAllBytes(stored));
    }
  }

  @Test
  void aCrashAfterACloseResumesWithTheNewestStagedBytes() throws Exception {
    byte[] model = random(700, 3);
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, UnaryOperator.identity(), 600_000)) {
      f.put("/c", model);
      byte[] d = random(100, 4);
      write(f, "/c", 650, d); // extends it to 750
      model = Arrays.copyOf(model, 750);
      System.arraycopy(d, 0, model, 650, 100);
      truncate(f, "/c", 720);
      model = Arrays.copyOf(model, 720);
      // the daemon dies here: nothing was committed, the delay still runs
    }
    assertFalse(Files.exists(root.resolve("store/c")));
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, UnaryOperator.identity(), 600_000)) {
      for (StreamingOperation op : f.engine.recoverStagedUploads()) {
        assertEquals("c", op.key());
      }
      f.sync();
      assertArrayEquals(model, Files.readAllBytes(f.storeDir.resolve("c")), "resumed with other bytes");
      assertTrue(f.engine.listOperations().stream()
          .noneMatch(o -> o.status() == OperationStatus.FAILED), "a closed file was rolled back");
    }
  }

  @Test
  void aFileRemovedWithinTheDelayLeavesNothingAndNoFailure() throws Exception {
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, UnaryOperator.identity(), 60_000)) {
      f.put("/tmp1", random(300, 5));
      f.fs.unlink("/tmp1");
      f.sync();
      assertFalse(Files.exists(f.storeDir.resolve("tmp1")));
      assertTrue(f.engine.listOperations().stream()
          .noneMatch(o -> o.status() == OperationStatus.FAILED), "a removed file is not a failure");
    }
  }
}

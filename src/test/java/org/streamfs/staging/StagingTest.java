package org.streamfs.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.StagedUpload;

/**
 * Staging back-pressure with a stand-in upload whose confirmations the test controls: a writer past
 * max-dirty waits, and continues once bytes are confirmed; a writer whose bytes nobody is uploading is not
 * dead-locked. The staging directory is private (0700).
 */
class StagingTest {
  @TempDir
  Path dir;

  /** A staged upload that "uploads" a chunk when the test says so. */
  static final class ManualUpload implements StagedUpload {
    final AtomicLong uploaded = new AtomicLong();
    final AtomicLong completed = new AtomicLong();

    @Override
    public String operationId() {
      return "op";
    }

    @Override
    public String key() {
      return "k";
    }

    @Override
    public long chunkSize() {
      return 100;
    }

    @Override
    public void markDirty(int index) {}

    @Override
    public void chunkComplete(int index) {
      completed.addAndGet(100);
    }

    @Override
    public IOException failure() {
      return null;
    }

    @Override
    public CompletableFuture<ObjectInfo> commit(long size, Map<String, String> metadata) {
      return new CompletableFuture<>();
    }

    @Override
    public void abort(String reason) {}

    @Override
    public long bytesUploaded() {
      return uploaded.get();
    }
  }

  @Test
  void writerPastMaxDirtyWaitsUntilUploadsConfirm() throws Exception {
    Staging staging = new Staging(dir.resolve("staging"), 250);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(staging.dir())));
    ManualUpload up = new ManualUpload();
    StagedFile f = new StagedFile(staging, staging.newFile(), up, null, (o, d) -> {});
    f.write(0, ByteBuffer.allocate(200));
    assertEquals(200, staging.dirtyBytes());
    long[] done = {0};
    Thread writer = new Thread(() -> {
      try {
        f.write(200, ByteBuffer.allocate(100));
        done[0] = System.nanoTime();
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    writer.start();
    Thread.sleep(300);
    assertTrue(writer.isAlive(), "the writer waits for room");
    long released = System.nanoTime();
    up.uploaded.set(200);
    writer.join(5000);
    assertTrue(done[0] >= released, "the write went on only after the upload confirmed bytes");
    assertEquals(300, f.size());
  }

  @Test
  void aWriterWithNothingUploadingIsNotDeadlocked() throws Exception {
    Staging staging = new Staging(dir.resolve("staging"), 50);
    ManualUpload up = new ManualUpload();
    StagedFile f = new StagedFile(staging, staging.newFile(), up, null, (o, d) -> {});
    f.write(10, ByteBuffer.allocate(30));
    f.write(40, ByteBuffer.allocate(30));
    assertEquals(70, f.size());
    staging.release("op");
    assertEquals(0, staging.dirtyBytes());
  }
}

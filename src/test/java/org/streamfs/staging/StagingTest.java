package org.streamfs.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.StagedUpload;

/**
 * Staging back-pressure with a stand-in upload whose confirmations the test controls (chunks of 100
 * bytes): a writer past max-dirty waits and continues once chunks are confirmed; holes do not count; over
 * the bound, a random writer's dirty chunks are pushed to the engine without waiting for close; a writer
 * whose bytes nothing can upload is let through; a store that confirms nothing makes the writer fail
 * (ENOSPC) after the stall timeout instead of waiting forever. The staging directory is private (0700).
 */
class StagingTest {
  @TempDir
  Path dir;

  /** A staged upload that "uploads" a chunk when the test says so. */
  static final class ManualUpload implements StagedUpload {
    @Override
    public void seal(long size, Map<String, String> metadata) {}

    final Set<Integer> data = new TreeSet<>();
    final Set<Integer> confirmed = new TreeSet<>();
    final Set<Integer> sent = new TreeSet<>();

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
    public synchronized void markDirty(int index) {
      data.add(index);
      confirmed.remove(index);
    }

    @Override
    public void markZeroed(int index) {}

    @Override
    public synchronized void truncated(long newSize) {
      data.removeIf(i -> i >= (newSize + 99) / 100);
    }

    @Override
    public synchronized long unconfirmedBytes() {
      return data.stream().filter(i -> !confirmed.contains(i)).count() * 100;
    }

    @Override
    public synchronized boolean sending() {
      return sent.stream().anyMatch(i -> !confirmed.contains(i));
    }

    @Override
    public synchronized int pushable(int below) {
      return (int) data.stream().filter(i -> i < below && !confirmed.contains(i) && !sent.contains(i)).count();
    }

    @Override
    public synchronized void pushDirty(int below) {
      data.stream().filter(i -> i < below && !confirmed.contains(i)).forEach(sent::add);
    }

    @Override
    public synchronized void chunkComplete(int index) {
      sent.add(index);
    }

    synchronized void confirmAll() {
      confirmed.addAll(sent);
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
    public synchronized long bytesUploaded() {
      return confirmed.size() * 100L;
    }
  }

  private static Thread writer(StagedFile f, long offset, int len, IOException[] failed) {
    Thread t = new Thread(() -> {
      try {
        f.write(offset, ByteBuffer.allocate(len));
      } catch (IOException e) {
        failed[0] = e;
      }
    });
    t.start();
    return t;
  }

  @Test
  void writerPastMaxDirtyWaitsUntilUploadsConfirm() throws Exception {
    Staging staging = new Staging(dir.resolve("staging"), 250);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(staging.dir())));
    ManualUpload up = new ManualUpload();
    StagedFile f = new StagedFile(staging, staging.newFile(), up, null, (o, d) -> {});
    f.write(0, ByteBuffer.allocate(300));
    assertEquals(300, staging.dirtyBytes());
    IOException[] failed = {null};
    Thread t = writer(f, 300, 100, failed);
    Thread.sleep(300);
    assertTrue(t.isAlive(), "the writer waits for room while chunks are being sent");
    up.confirmAll();
    t.join(5000);
    assertFalse(t.isAlive());
    assertEquals(null, failed[0]);
    assertEquals(400, f.size());
  }

  @Test
  void holesDoNotCountAsDirty() throws Exception {
    Staging staging = new Staging(dir.resolve("staging"), 250);
    ManualUpload up = new ManualUpload();
    StagedFile f = new StagedFile(staging, staging.newFile(), up, null, (o, d) -> {});
    f.write(1_000_000, ByteBuffer.allocate(10));
    assertEquals(100, staging.dirtyBytes(), "one chunk of data; the 1 MB hole before it is not dirty");
    f.truncate(5_000_000);
    assertEquals(100, staging.dirtyBytes());
    f.truncate(50);
    assertEquals(100, staging.dirtyBytes(), "the chunk holding the new end");
  }

  @Test
  void overTheBoundARandomWritersChunksArePushedWithoutWaitingForClose() throws Exception {
    Staging staging = new Staging(dir.resolve("staging"), 250);
    ManualUpload up = new ManualUpload();
    StagedFile f = new StagedFile(staging, staging.newFile(), up, null, (o, d) -> {});
    f.truncate(1000);
    // partial writes inside chunks 2, 5 and 7: none is complete, so none was handed over
    f.write(210, ByteBuffer.allocate(10));
    f.write(510, ByteBuffer.allocate(10));
    f.write(710, ByteBuffer.allocate(10));
    Thread.sleep(100);
    assertTrue(up.sent.isEmpty(), "nothing handed over yet: " + up.sent);
    IOException[] failed = {null};
    Thread t = writer(f, 910, 10, failed);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (up.sent.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(Set.of(2, 5, 7), Set.copyOf(up.sent), "the writer's dirty chunks were pushed to the engine");
    assertTrue(t.isAlive(), "and the writer waits for them");
    up.confirmAll();
    t.join(5000);
    assertFalse(t.isAlive());
    assertEquals(null, failed[0]);
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

  @Test
  void aStoreThatConfirmsNothingFailsTheWriterInsteadOfHangingIt() throws Exception {
    Staging staging = new Staging(dir.resolve("staging"), 250, Duration.ofMillis(400));
    ManualUpload up = new ManualUpload();
    StagedFile f = new StagedFile(staging, staging.newFile(), up, null, (o, d) -> {});
    f.write(0, ByteBuffer.allocate(300));
    long start = System.nanoTime();
    StagingStalledException e = assertThrows(StagingStalledException.class,
        () -> f.write(300, ByteBuffer.allocate(100)));
    long waited = (System.nanoTime() - start) / 1_000_000;
    assertTrue(waited >= 350 && waited < 5_000, "waited " + waited + " ms");
    assertTrue(e.getMessage().contains("confirmed none"), e.getMessage());
    assertEquals(300, f.size(), "the refused write changed nothing");
  }
}

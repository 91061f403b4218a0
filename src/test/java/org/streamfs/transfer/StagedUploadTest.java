package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.local.LocalStore;
import org.streamfs.store.middleware.StoreOp;
import org.streamfs.testing.FaultyStore;

/** The mount's write primitive without FUSE: streaming while writing, partial overwrites, crash recovery. */
class StagedUploadTest {
  static final int CHUNK = 4096;
  @TempDir
  Path tmp;
  LocalStore local;
  FaultyStore store;
  Catalog catalog;
  StreamingManager m;

  @BeforeEach
  void open() throws IOException {
    local = LocalStore.open(tmp.resolve("store"), true);
    store = new FaultyStore(local);
    catalog = Catalog.open(tmp.resolve("state"));
    m = newManager();
  }

  StreamingManager newManager() {
    return EngineFixture.manager(store, catalog, EngineFixture.fast().chunkSizeBytes(CHUNK).build());
  }

  @AfterEach
  void close() {
    m.close();
    catalog.close();
    local.close();
  }

  static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void write(Path staging, long offset, byte[] data) throws IOException {
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        ch.write(b, offset + b.position());
      }
    }
  }

  /** A new staged upload of {@code key} whose staging file holds {@code data}, every chunk marked dirty. */
  StagedUpload writeWhole(String key, Path staging, byte[] data) throws IOException {
    StagedUpload u = m.openStagedUpload(key, staging, null, Map.of());
    write(staging, 0, data);
    for (int i = 0; i < (data.length + CHUNK - 1) / CHUNK; i++) {
      u.markDirty(i);
    }
    return u;
  }

  byte[] stored(String key) throws IOException {
    try (var in = local.read(key, 0, -1, null)) {
      return in.readAllBytes();
    }
  }

  @Test
  void sequentialWriterStreamsChunksBeforeClose() throws Exception {
    Path staging = tmp.resolve("s1");
    byte[] data = bytes(10 * CHUNK + 100, 1);
    StagedUpload u = m.openStagedUpload("dir/new.bin", staging, null, Map.of("mode", "33188"));
    for (int i = 0; i < 10; i++) {
      write(staging, (long) i * CHUNK, java.util.Arrays.copyOfRange(data, i * CHUNK, (i + 1) * CHUNK));
      u.markDirty(i);
      u.chunkComplete(i);
    }
    write(staging, 10L * CHUNK, java.util.Arrays.copyOfRange(data, 10 * CHUNK, data.length));
    u.markDirty(10);
    long deadline = System.currentTimeMillis() + 5000;
    while (u.bytesUploaded() < 10L * CHUNK && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(10L * CHUNK, u.bytesUploaded(), "full chunks were sent while the file was still open");
    assertFalse(Files.exists(tmp.resolve("store/dir/new.bin")), "invisible until complete");
    ObjectInfo info = u.commit(data.length, Map.of("mode", "33188", "mtime", "1700000000.000000000"))
        .get();
    assertEquals(data.length, info.size());
    assertArrayEquals(data, stored("dir/new.bin"));
    assertEquals("1700000000.000000000", local.stat("dir/new.bin").metadata().get("mtime"));
    assertFalse(Files.exists(staging), "staging file removed once the store holds the object");
    assertTrue(m.manifest(info).verifiable(), "chunk checksums recorded for verified reads");
    assertEquals(org.streamfs.model.Sha256.hex(org.streamfs.model.Sha256.digest(data)), m.manifest(info).sha256(),
        "whole-file SHA-256 recorded");
    StreamingOperation op = m.getOperation(u.operationId());
    assertEquals(OperationKind.MOUNT_WRITE, op.kind());
    assertEquals(OperationStatus.COMPLETED, op.status());
    assertEquals(11, op.chunksTotal());
  }

  @Test
  void overwriteResendsOnlyChangedChunks() throws Exception {
    byte[] v1 = bytes(8 * CHUNK, 2);
    local.put("doc.bin", v1, Map.of());
    Path first = tmp.resolve("v1");
    StagedUpload u1 = m.openStagedUpload("doc.bin", first, null, Map.of());
    write(first, 0, v1);
    for (int i = 0; i < 8; i++) {
      u1.markDirty(i);
    }
    ObjectInfo base = u1.commit(v1.length, Map.of()).get();

    byte[] v2 = v1.clone();
    byte[] patch = bytes(100, 3);
    System.arraycopy(patch, 0, v2, 2 * CHUNK + 10, 100);
    Path staging = tmp.resolve("v2");
    StagedUpload u = m.openStagedUpload("doc.bin", staging, base, Map.of());
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(new byte[] {0}), v2.length - 1);
    }
    write(staging, 2L * CHUNK, java.util.Arrays.copyOfRange(v2, 2 * CHUNK, 3 * CHUNK));
    u.markDirty(2);
    long partsBefore = store.calls(StoreOp.UPLOAD_PART);
    long copiesBefore = store.calls(StoreOp.COPY_PART);
    u.commit(v2.length, Map.of()).get();
    assertArrayEquals(v2, stored("doc.bin"));
    assertEquals(1, store.calls(StoreOp.UPLOAD_PART) - partsBefore, "only the changed chunk is sent");
    assertEquals(7, store.calls(StoreOp.COPY_PART) - copiesBefore, "the others are copied server-side");
  }

  @Test
  void committedUploadResumesAfterACrash() throws Exception {
    Path staging = tmp.resolve("s3");
    byte[] data = bytes(6 * CHUNK, 4);
    store.delay(FaultyStore.on(StoreOp.COMPLETE_UPLOAD), Duration.ofSeconds(60));
    StagedUpload u = m.openStagedUpload("crash.bin", staging, null, Map.of());
    write(staging, 0, data);
    for (int i = 0; i < 6; i++) {
      u.markDirty(i);
      if (i < 3) {
        u.chunkComplete(i);
      }
    }
    u.commit(data.length, Map.of());
    Thread.sleep(300);
    m.close(); // the daemon dies before the object is complete
    store.clearFaults();
    long sent = store.bytesUploaded();
    m = newManager();
    List<StreamingOperation> acted = m.recoverStagedUploads();
    assertEquals(1, acted.size());
    assertTrue(m.awaitCommitted(Duration.ofSeconds(20)));
    assertArrayEquals(data, stored("crash.bin"));
    assertTrue(store.bytesUploaded() - sent <= 6L * CHUNK, "no more than the file is re-sent");
    assertEquals(OperationStatus.COMPLETED, m.getOperation(u.operationId()).status());
  }

  @Test
  void metadataChangedDuringTheUploadReachesTheObjectAfterACrash() throws Exception {
    Path staging = tmp.resolve("s-meta");
    byte[] data = bytes(3 * CHUNK, 9);
    store.delay(FaultyStore.on(StoreOp.COMPLETE_UPLOAD), Duration.ofSeconds(60));
    StagedUpload u = m.openStagedUpload("meta.bin", staging, null, Map.of());
    write(staging, 0, data);
    for (int i = 0; i < 3; i++) {
      u.markDirty(i);
    }
    u.commit(data.length, Map.of("mtime", "1", "mode", "33188"));
    u.updateMetadata(Map.of("mtime", "981173106", "atime", "1323785716", "mode", "33188"));
    Thread.sleep(300);
    m.close(); // the daemon stops before the object is complete: the change lived only in memory before
    store.clearFaults();
    m = newManager();
    m.recoverStagedUploads();
    assertTrue(m.awaitCommitted(Duration.ofSeconds(20)));
    assertArrayEquals(data, stored("meta.bin"));
    Map<String, String> meta = local.stat("meta.bin").metadata();
    assertEquals("981173106", meta.get("mtime"), meta.toString());
    assertEquals("1323785716", meta.get("atime"), meta.toString());
  }

  @Test
  void uploadTheStoreCompletedJustBeforeTheCrashStillEndsCompleted() throws Exception {
    byte[] data = bytes(5 * CHUNK, 7);
    store.delay(FaultyStore.on(StoreOp.COMPLETE_UPLOAD), Duration.ofSeconds(60));
    StagedUpload u = writeWhole("done.bin", tmp.resolve("s5"), data);
    u.commit(data.length, Map.of());
    String uploadId = null;
    for (int i = 0; i < 100 && uploadId == null; i++) {
      Thread.sleep(50);
      var pending = local.listUploads("");
      if (!pending.isEmpty() && local.listParts("done.bin", pending.get(0).uploadId()).size() == 5) {
        uploadId = pending.get(0).uploadId();
      }
    }
    assertTrue(uploadId != null, "all parts uploaded, completion held back");
    // the store completes the upload (the engine's call got through), then the daemon dies before the
    // catalog hears of it
    local.completeUpload("done.bin", uploadId, local.listParts("done.bin", uploadId));
    m.close();
    store.clearFaults();
    m = newManager();
    m.recoverStagedUploads();
    assertTrue(m.awaitCommitted(Duration.ofSeconds(20)));
    assertEquals(OperationStatus.COMPLETED, m.getOperation(u.operationId()).status(),
        "a closed file whose upload the store already completed must not end FAILED");
    assertArrayEquals(data, stored("done.bin"));
    assertTrue(local.listUploads("").isEmpty(), "no upload left behind");
  }

  @Test
  void aCompletionWhoseReplyWasLostDoesNotFailTheFile() throws Exception {
    byte[] data = bytes(4 * CHUNK + 100, 8);
    // the store completes the upload but the reply is lost: the retry finds no such upload
    store.failAfter(FaultyStore.on(StoreOp.COMPLETE_UPLOAD), 1, StoreException.Kind.TRANSIENT);
    StagedUpload u = writeWhole("lost.bin", tmp.resolve("s6"), data);
    u.commit(data.length, Map.of()).get();
    assertEquals(OperationStatus.COMPLETED, m.getOperation(u.operationId()).status());
    assertArrayEquals(data, stored("lost.bin"));
    assertTrue(local.listUploads("").isEmpty(), "no upload left behind");
    assertEquals(3, store.calls(StoreOp.COMPLETE_UPLOAD), "completed, retried into NOT_FOUND, completed again");
  }

  @Test
  void fileOpenAtTheCrashIsRolledBackAndRecoverable() throws Exception {
    byte[] base = bytes(5 * CHUNK, 5);
    ObjectInfo baseInfo = local.put("open.bin", base, Map.of());
    Path staging = tmp.resolve("s4");
    StagedUpload u = m.openStagedUpload("open.bin", staging, baseInfo, Map.of());
    byte[] expected = base.clone();
    byte[] patch = bytes(CHUNK, 6);
    System.arraycopy(patch, 0, expected, 3 * CHUNK, CHUNK);
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0}), base.length - 1);
    }
    write(staging, 3L * CHUNK, patch);
    u.markDirty(3);
    u.chunkComplete(3);
    Thread.sleep(300);
    m.close(); // crash while the file is open
    m = newManager();
    m.recoverStagedUploads();
    StreamingOperation op = m.getOperation(u.operationId());
    assertEquals(OperationStatus.FAILED, op.status());
    assertTrue(op.error().contains("streamfs recover"), op.error());
    assertTrue(local.listUploads("").isEmpty(), "no orphan parts");
    assertArrayEquals(base, stored("open.bin"), "previous version untouched");
    Path recovered = tmp.resolve("recovered.bin");
    m.recoverStaged(u.operationId(), recovered);
    assertArrayEquals(expected, Files.readAllBytes(recovered), "staged bytes recoverable");
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;

/**
 * Owns the mount's staged uploads: opens them (one MOUNT_WRITE operation each), runs completions on a small
 * completion pool in commit order per key (a later version of a file never lands before an earlier one),
 * tracks what is still pending for the sync barrier, and after a crash resumes the uploads that were
 * committed and rolls back those still open (their staging files kept for {@link #recoverTo}).
 */
final class StagedUploads {
  private static final Logger LOG = LoggerFactory.getLogger(StagedUploads.class);
  private final EngineContext ctx;
  private final Saga saga;
  private final ExecutorService completions;
  private final Map<String, CompletableFuture<ObjectInfo>> chains = new ConcurrentHashMap<>();
  private final Set<CompletableFuture<ObjectInfo>> pending = ConcurrentHashMap.newKeySet();
  private volatile BufferPool buffers;
  /** Set by {@link #close}: completions cut short by the shutdown are left for recovery, not rolled back. */
  private volatile boolean closing;

  StagedUploads(EngineContext ctx, Saga saga) {
    this.ctx = ctx;
    this.saga = saga;
    this.completions = Executors.newFixedThreadPool(Math.max(2, ctx.config.parallelChunks()),
        EngineContext.background("streamfs-complete"));
  }

  long chunkSize() {
    return ctx.chunkSizeFor(0);
  }

  BufferPool buffers() {
    BufferPool b = buffers;
    if (b == null) {
      synchronized (this) {
        if (buffers == null) {
          long cs = chunkSize();
          buffers = new BufferPool(ctx.bufferCount(cs), (int) cs);
        }
        b = buffers;
      }
    }
    return b;
  }

  StagedUpload open(String key, Path staging, ObjectInfo base, Map<String, String> initialMeta, Expect expect)
      throws IOException {
    StoreKeys.validate(key, ctx.store.limits().maxKeyBytes());
    long chunk = chunkSize();
    Instant now = Instant.now();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(StagedUploadImpl.STAGE, "open");
    meta.put(StagedUploadImpl.STAGING, staging.toAbsolutePath().toString());
    if (base != null) {
      meta.put(StagedUploadImpl.BASE_KEY, base.key());
      meta.put(StagedUploadImpl.BASE_VERSION, base.version());
      meta.put(StagedUploadImpl.BASE_SIZE, Long.toString(base.size()));
    }
    meta.put(StagedUploadImpl.EXPECT, StagedUploadImpl.encode(expect));
    StreamingOperation op = new StreamingOperation(EngineContext.newOperationId(), OperationKind.MOUNT_WRITE,
        staging.toAbsolutePath().toString(), key, 0, chunk, 0, 0, OperationStatus.IN_PROGRESS, now, now, null,
        meta, null, null, 0);
    ctx.catalog.putOperationWithChunks(op, List.of());
    return new StagedUploadImpl(ctx, saga, this, op, staging, base, initialMeta == null ? Map.of() : initialMeta,
        expect);
  }

  CompletableFuture<ObjectInfo> enqueueCompletion(StagedUploadImpl u) {
    return enqueue(u, null);
  }

  private CompletableFuture<ObjectInfo> enqueue(StagedUploadImpl u, Map<Integer, PartReceipt> remote) {
    CompletableFuture<ObjectInfo> result = new CompletableFuture<>();
    pending.add(result);
    chains.compute(u.key(), (k, prev) -> {
      CompletableFuture<?> before = prev == null ? CompletableFuture.completedFuture(null) : prev;
      before.handle((x, e) -> null).thenRunAsync(() -> complete(u, remote, result), completions)
          .whenComplete((x, e) -> {
            if (e != null && !result.isDone()) {
              // never leave a waiter (a write, fsync or close of this file) waiting for a completion that
              // cannot run (the pool refused it) or that died of an Error
              LOG.error("completion of {} could not run: {}", u.key(), e.toString());
              result.completeExceptionally(e);
            }
          });
      return result;
    });
    result.whenComplete((x, e) -> {
      pending.remove(result);
      chains.remove(u.key(), result);
    });
    return result;
  }

  private void complete(StagedUploadImpl u, Map<Integer, PartReceipt> remote, CompletableFuture<ObjectInfo> out) {
    try {
      ObjectInfo info = u.completeNow(remote);
      u.completed(info);
      ctx.finished(u.op());
      out.complete(info);
    } catch (ConflictException c) {
      // lost the race to another writer: published as a conflict copy, or kept staged (on-conflict fail)
      try {
        if (c.copy() != null) {
          u.completedAsCopy(c);
          ctx.finished(u.op());
        } else {
          u.failed(c);
          u.abort(c.getMessage());
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("recording the conflict of {} failed: {}", u.key(), e.toString());
      } finally {
        out.completeExceptionally(c);
      }
    } catch (IOException | RuntimeException | Error e) {
      IOException io = e instanceof IOException x ? x : new IOException(e.toString(), e);
      if (closing) {
        // The engine is shutting down: the upload stays committed in the catalog and resumes at the next
        // start, exactly as after a crash.
        LOG.info("upload of {} interrupted by shutdown; it resumes at the next start", u.key());
        out.completeExceptionally(io);
        return;
      }
      LOG.error("upload of {} failed: {}", u.key(), io.getMessage());
      try {
        u.failed(io);
        u.abort("upload failed: " + io.getMessage());
      } finally {
        out.completeExceptionally(io);
      }
    }
  }

  /** The completion still pending for this key, if any. */
  CompletableFuture<ObjectInfo> pending(String key) {
    return chains.get(key);
  }

  boolean awaitAll(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!pending.isEmpty()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  int pendingCount() {
    return pending.size();
  }

  /** After a crash: committed uploads resume, open ones roll back. */
  List<StreamingOperation> recover() throws IOException {
    return recover(op -> true);
  }

  /** Like {@link #recover()} for the staged uploads {@code which} accepts (e.g. one client's own). */
  List<StreamingOperation> recover(java.util.function.Predicate<StreamingOperation> which) throws IOException {
    List<StreamingOperation> acted = new ArrayList<>();
    for (StreamingOperation op : ctx.catalog.listOperations().operations()) {
      if (op.kind() != OperationKind.MOUNT_WRITE || !op.status().isActive() || !which.test(op)) {
        continue;
      }
      String stage = op.metadata().getOrDefault(StagedUploadImpl.STAGE, "open");
      if ("closed".equals(stage)) {
        resume(op);
      } else {
        saga.rollback(op.operationId(), OperationStatus.FAILED, "file was still open for writing when the"
            + " daemon stopped; rolled back, staged bytes kept: 'streamfs recover " + op.operationId() + " DEST'");
        LOG.warn("rolled back {} ({}): open for writing at the crash", op.operationId(), op.key());
      }
      acted.add(ctx.operation(op.operationId()));
    }
    return acted;
  }

  private void resume(StreamingOperation closed) throws IOException {
    StreamingOperation op = closed;
    Path staging = Path.of(op.metadata().get(StagedUploadImpl.STAGING));
    if (!Files.exists(staging)) {
      saga.rollback(op.operationId(), OperationStatus.FAILED, "staging file " + staging + " is missing");
      return;
    }
    if (closed.metadata().containsKey(StagedUploadImpl.SEALED)) {
      // closed, then written again within the write-back delay: the staged file holds the newest bytes
      op = closed.withSize(Files.size(staging), closed.chunkSizeBytes());
    }
    ObjectInfo base = baseOf(op);
    Map<String, String> initial = new HashMap<>();
    StagedUploadImpl u = new StagedUploadImpl(ctx, saga, this, op, staging, base, initial,
        StagedUploadImpl.decode(op.metadata().get(StagedUploadImpl.EXPECT)));
    u.restore(ctx.catalog.chunks(op.operationId()));
    Map<Integer, PartReceipt> remote = new HashMap<>();
    if (op.uploadId() != null) {
      try {
        for (PartReceipt p : ctx.retry.run("list parts of " + op.key(),
            () -> ctx.store.listParts(closed.key(), closed.uploadId()))) {
          remote.put(p.partNumber(), p);
        }
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.NOT_FOUND) {
          throw e;
        }
        // The store no longer knows the upload: it was completed just before the daemon stopped (the
        // object is then already whole in the store, the catalog did not hear of it), or it expired. The
        // staged file is whole (fsynced at close), so it is sent again under a new upload: a closed file
        // never fails for this.
        LOG.info("upload {} of {} is gone from the store (completed just before the stop, or expired);"
            + " sending the staged file again", op.uploadId(), op.key());
        u.forgetUpload();
      }
    }
    LOG.info("resuming upload of {} ({}): {} parts held by the store", op.key(), op.operationId(), remote.size());
    enqueue(u, remote);
  }

  static ObjectInfo baseOf(StreamingOperation op) {
    String key = op.metadata().get(StagedUploadImpl.BASE_KEY);
    if (key == null) {
      return null;
    }
    return new ObjectInfo(key, Long.parseLong(op.metadata().get(StagedUploadImpl.BASE_SIZE)),
        op.metadata().get(StagedUploadImpl.BASE_VERSION), null, Map.of());
  }

  /** Writes what a staged upload held: base version overlaid with the staged (dirty) chunks. */
  void recoverTo(String operationId, Path dest) throws IOException {
    StreamingOperation op = ctx.operation(operationId);
    if (op.kind() != OperationKind.MOUNT_WRITE) {
      throw new IOException("operation " + operationId + " is not a file written through the mount");
    }
    Path staging = Path.of(op.metadata().get(StagedUploadImpl.STAGING));
    if (!Files.exists(staging)) {
      throw new NoSuchFileException(staging.toString(), null, "staged bytes of " + operationId
          + " are gone (retention period over, or already completed)");
    }
    long size = "open".equals(op.metadata().get(StagedUploadImpl.STAGE)) || op.totalSizeBytes() == 0
        || op.metadata().containsKey(StagedUploadImpl.SEALED)
        ? Files.size(staging) : op.totalSizeBytes();
    ChunkLayout layout = new ChunkLayout(size, op.chunkSizeBytes());
    Set<Integer> dirty = new HashSet<>();
    for (ChunkMetadata c : ctx.catalog.chunks(operationId)) {
      dirty.add(c.chunkIndex());
    }
    ObjectInfo base = baseOf(op);
    Path tmp = dest.resolveSibling("." + dest.getFileName() + ".recover");
    try (FileChannel in = FileChannel.open(staging, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      for (int i = 0; i < layout.chunkCount(); i++) {
        long off = layout.offset(i);
        long len = layout.size(i);
        if (!dirty.contains(i) && base != null && off + len <= base.size()) {
          try (InputStream s = ctx.retry.run("read " + base.key(),
              () -> ctx.store.read(base.key(), off, len, base.version()))) {
            byte[] b = new byte[1 << 16];
            long pos = off;
            for (int n; (n = s.read(b)) > 0; pos += n) {
              ByteBuffer w = ByteBuffer.wrap(b, 0, n);
              while (w.hasRemaining()) {
                out.write(w, pos + w.position());
              }
            }
          }
        } else {
          long done = 0;
          while (done < len) {
            long n = in.transferTo(off + done, len - done, out.position(off + done));
            if (n <= 0) {
              break;
            }
            done += n;
          }
        }
      }
      out.truncate(size);
      out.force(true);
    }
    Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  void close() {
    closing = true;
    completions.shutdownNow();
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.SagaRollbackRequiredException;
import org.streamfs.model.Sha256;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;

/**
 * Uploads a local file: one sequential reader (this thread) reads each chunk into a pooled buffer and
 * hashes it (per chunk and whole file, in order), upload workers send chunks as parts in parallel, and
 * every confirmed part is checkpointed in the catalog. Resume asks the store which parts it holds (the
 * truth; the checkpoint is the hint) and sends only the rest; a part the store holds is kept only if its
 * size (and checksum, where the store reports one) matches the local chunk. A permanent failure, exhausted
 * retries or a cancel with cleanup roll the upload back through the {@link Saga}.
 */
final class FileUploader {
  private static final Logger LOG = LoggerFactory.getLogger(FileUploader.class);
  static final String META_SHA256 = "streamfs-sha256";
  static final String META_CHUNK = "streamfs-chunk-size";

  private final EngineContext ctx;
  private final Saga saga;
  /** Operations whose completion was accepted without its reply (by size and time): not proven by bytes. */
  private final java.util.Set<String> acceptedUnseen = java.util.concurrent.ConcurrentHashMap.newKeySet();

  FileUploader(EngineContext ctx, Saga saga) {
    this.ctx = ctx;
    this.saga = saga;
  }

  /** Resolves the seed's destination: a prefix ending in / (or empty) gets the file name appended. */
  static String keyFor(Path file, String destination) throws StoreException {
    String d = destination == null ? "" : destination;
    String key = d.isEmpty() || d.endsWith("/") ? d + file.getFileName().toString() : d;
    return StoreKeys.validate(key);
  }

  /** Creates the PENDING operation record for uploading {@code file} to {@code key}. */
  StreamingOperation create(Path file, String key, Map<String, String> metadata) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "source file does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException("not a regular file: " + file);
    }
    if (!Files.isReadable(file)) {
      throw new java.nio.file.AccessDeniedException(file.toString(), null, "source file is not readable");
    }
    long size = Files.size(file);
    long chunk = ctx.chunkSizeFor(size);
    ChunkLayout layout = new ChunkLayout(size, chunk);
    Instant now = Instant.now();
    Map<String, String> meta = new LinkedHashMap<>(metadata == null ? Map.of() : metadata);
    meta.putIfAbsent("mtime", mtimeOf(file));
    StreamingOperation op = new StreamingOperation(EngineContext.newOperationId(), OperationKind.UPLOAD,
        file.toAbsolutePath().toString(), key, size, chunk, layout.chunkCount(), 0, OperationStatus.PENDING,
        now, now, null, meta, null, null, 0);
    List<ChunkMetadata> chunks = new ArrayList<>();
    for (int i = 0; i < layout.chunkCount(); i++) {
      chunks.add(ChunkMetadata.pending(i, layout.offset(i), layout.size(i)));
    }
    ctx.catalog.putOperationWithChunks(op, chunks);
    return op;
  }

  static String mtimeOf(Path file) throws IOException {
    Instant t = Files.getLastModifiedTime(file).toInstant();
    return t.getEpochSecond() + "." + String.format("%09d", t.getNano());
  }

  /** Runs (or resumes) the upload to completion; returns the completed operation. */
  StreamingOperation run(String operationId, ProgressListener progress) throws IOException {
    StreamingOperation op = ctx.operation(operationId);
    if (op.status() == OperationStatus.COMPLETED) {
      return op;
    }
    ProgressListener pl = progress == null ? ProgressListener.NONE : progress;
    return ctx.track(operationId, running -> execute(op, running, pl));
  }

  private StreamingOperation execute(StreamingOperation op, EngineContext.Running running,
      ProgressListener progress) throws IOException {
    Path file = Path.of(op.fileName());
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "source file of operation " + op.operationId()
          + " no longer exists");
    }
    long size = Files.size(file);
    if (size != op.totalSizeBytes()) {
      throw new IOException("source file " + file + " changed since the upload began (" + op.totalSizeBytes()
          + " -> " + size + " bytes); restart the operation");
    }
    op = op.withStatus(OperationStatus.IN_PROGRESS, null);
    ctx.catalog.putOperation(op);
    progress.onProgress(op.progressPercent(), op);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ChunkLayout layout = new ChunkLayout(size, op.chunkSizeBytes());
      if (layout.chunkCount() <= 1) {
        return putSmall(op, ch, progress);
      }
      return putMultipart(op, ch, layout, running, progress);
    }
  }

  private StreamingOperation putSmall(StreamingOperation op, FileChannel ch, ProgressListener progress)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) op.totalSizeBytes());
    readFully(ch, buf, 0);
    buf.flip();
    String sha = Sha256.hex(buf);
    Map<String, String> meta = new LinkedHashMap<>(op.metadata());
    meta.put(META_SHA256, sha);
    meta.put(META_CHUNK, Long.toString(op.chunkSizeBytes()));
    byte[] data = new byte[buf.remaining()];
    buf.get(data);
    StreamingOperation fop = op;
    ObjectInfo info;
    try {
      info = ctx.retry.run("put " + op.key(), () -> ctx.store.put(fop.key(), data, meta));
    } catch (IOException e) {
      ctx.catalog.putOperation(op.withStatus(OperationStatus.FAILED, e.getMessage()));
      throw new SagaRollbackRequiredException("upload of " + op.key() + " failed", e.getMessage(), 0, e);
    }
    List<ChunkMetadata> chunks = new ArrayList<>();
    if (op.chunksTotal() == 1) {
      chunks.add(ChunkMetadata.pending(0, 0, op.totalSizeBytes()).confirmed(sha, info.version()));
    }
    return finish(op.withChunksCompleted(op.chunksTotal()), info, sha, chunks, progress);
  }

  private StreamingOperation putMultipart(StreamingOperation op, FileChannel ch, ChunkLayout layout,
      EngineContext.Running running, ProgressListener progress) throws IOException {
    Map<Integer, ChunkMetadata> chunks = new HashMap<>();
    for (ChunkMetadata c : ctx.catalog.chunks(op.operationId())) {
      chunks.put(c.chunkIndex(), c);
    }
    Map<Integer, PartReceipt> remote = new HashMap<>();
    if (op.uploadId() != null) {
      StreamingOperation o = op;
      try {
        for (PartReceipt p : ctx.retry.run("list parts of " + op.key(),
            () -> ctx.store.listParts(o.key(), o.uploadId()))) {
          remote.put(p.partNumber(), p);
        }
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.NOT_FOUND) {
          throw e;
        }
        LOG.info("upload {} of {} is gone from the store: starting a new one", op.uploadId(), op.key());
        saga.forgetUpload(op.operationId(), op.uploadId());
        op = op.withUploadId(null);
      }
    }
    if (op.uploadId() == null) {
      StreamingOperation o = op;
      Map<String, String> meta = new LinkedHashMap<>(op.metadata());
      meta.put(META_CHUNK, Long.toString(op.chunkSizeBytes()));
      String id = ctx.retry.run("begin upload of " + op.key(), () -> ctx.store.beginUpload(o.key(), meta));
      op = op.withUploadId(id);
      ctx.catalog.putOperation(op);
      saga.recordAbortUpload(op, id);
    }
    ChunkRun run = new ChunkRun(op, chunks, progress);
    MessageDigest whole = Sha256.newDigest();
    BufferPool pool = new BufferPool(ctx.bufferCount(op.chunkSizeBytes()), (int) op.chunkSizeBytes());
    int confirmed = 0;
    for (int i = 0; i < layout.chunkCount() && run.failure.get() == null
        && !ctx.pollCancel(op.operationId(), running); i++) {
      ByteBuffer buf = pool.acquire();
      buf.limit((int) layout.size(i));
      readFully(ch, buf, layout.offset(i));
      buf.flip();
      whole.update(buf.duplicate());
      ChunkMetadata known = chunks.getOrDefault(i, ChunkMetadata.pending(i, layout.offset(i), layout.size(i)));
      PartReceipt held = remote.get(i + 1);
      if (held == null && !known.uploaded()) {
        run.send(i, buf, null, known, pool); // the worker hashes it: hashing runs in parallel with reading
        continue;
      }
      String sha = Sha256.hex(buf);
      if (known.checksum() != null && known.uploaded() && !known.checksum().equals(sha)) {
        pool.release(buf);
        throw new IOException("source file " + op.fileName() + " changed since the upload began (chunk " + i
            + "); restart the operation");
      }
      if (held != null && held.size() == layout.size(i)
          && (held.sha256Hex() != null ? held.sha256Hex().equals(sha)
              : known.uploaded() && sha.equals(known.checksum()))) {
        pool.release(buf);
        if (!known.uploaded() || known.etag() == null || !known.etag().equals(held.etag())) {
          run.confirm(known.confirmed(sha, held.etag()));
        } else {
          run.count();
        }
        confirmed++;
        continue;
      }
      run.send(i, buf, sha, known, pool);
    }
    run.awaitAll();
    if (running.cancelled) {
      return cancelled(op, running);
    }
    IOException failure = run.failure.get();
    if (failure != null) {
      int retries = run.retries();
      saga.rollback(op.operationId(), OperationStatus.FAILED, failure.getMessage());
      throw new SagaRollbackRequiredException("upload of " + op.key() + " failed and was rolled back",
          failure.getMessage(), retries, failure);
    }
    LOG.debug("{}: {} chunks already held by the store", op.operationId(), confirmed);
    String sha = Sha256.hex(whole.digest());
    List<ChunkMetadata> done = ctx.catalog.chunks(op.operationId());
    List<PartReceipt> parts = new ArrayList<>();
    for (ChunkMetadata c : done) {
      if (!c.uploaded() || c.etag() == null) {
        String why = "chunk " + c.chunkIndex() + " was not confirmed by the store";
        saga.rollback(op.operationId(), OperationStatus.FAILED, why);
        throw new SagaRollbackRequiredException("upload of " + op.key() + " failed and was rolled back", why,
            run.retries(), null);
      }
      parts.add(new PartReceipt(c.partNumber(), c.sizeBytes(), c.etag(), c.checksum()));
    }
    if (parts.size() != layout.chunkCount()) {
      String why = parts.size() + " of " + layout.chunkCount() + " chunks recorded";
      saga.rollback(op.operationId(), OperationStatus.FAILED, why);
      throw new SagaRollbackRequiredException("upload of " + op.key() + " failed and was rolled back", why,
          run.retries(), null);
    }
    StreamingOperation o = run.op();
    ObjectInfo info;
    try {
      info = completeOrConfirm(o, parts);
    } catch (IOException e) {
      saga.rollback(o.operationId(), OperationStatus.FAILED, e.getMessage());
      throw new SagaRollbackRequiredException("completing the upload of " + o.key() + " failed and was rolled"
          + " back", e.getMessage(), 0, e);
    }
    if (info.size() != o.totalSizeBytes()) {
      throw new IOException("store reports " + info.size() + " bytes for " + o.key() + ", expected "
          + o.totalSizeBytes());
    }
    return finish(o, info, sha, done, progress);
  }

  /**
   * Completes the upload. If the store answers NOT_FOUND on a retry, the first attempt may have succeeded
   * with its reply lost: the object is accepted when it has the expected size and is newer than the upload.
   */
  private ObjectInfo completeOrConfirm(StreamingOperation o, List<PartReceipt> parts) throws IOException {
    try {
      return ctx.retry.run("complete upload of " + o.key(),
          () -> ctx.store.completeUpload(o.key(), o.uploadId(), parts));
    } catch (StoreException e) {
      if (e.kind() != StoreException.Kind.NOT_FOUND) {
        throw e;
      }
      ObjectInfo now = ctx.retry.run("stat " + o.key(), () -> ctx.store.stat(o.key()));
      if (now.size() == o.totalSizeBytes() && now.lastModified() != null
          && !now.lastModified().isBefore(o.createdAt().minusSeconds(2))) {
        LOG.info("{}: upload {} already completed (reply lost); accepting {}", o.operationId(), o.uploadId(),
            now.version());
        acceptedUnseen.add(o.operationId());
        return now;
      }
      throw e;
    }
  }

  private StreamingOperation cancelled(StreamingOperation op, EngineContext.Running running)
      throws IOException {
    if (running.cleanup) {
      saga.rollback(op.operationId(), OperationStatus.CANCELLED, "cancelled by user (cleaned up)");
    } else {
      ctx.catalog.putOperation(ctx.operation(op.operationId()).withStatus(OperationStatus.CANCELLED,
          "cancelled by user (parts kept; 'streamfs resume' continues)"));
    }
    StreamingOperation now = ctx.operation(op.operationId());
    throw new SagaRollbackRequiredException("upload of " + op.key() + " was cancelled", now.error(),
        now.retryCount(), null);
  }

  private StreamingOperation finish(StreamingOperation op, ObjectInfo info, String sha,
      List<ChunkMetadata> chunks, ProgressListener progress) throws IOException {
    List<String> shas = new ArrayList<>();
    for (ChunkMetadata c : chunks) {
      shas.add(c.checksum());
    }
    ChunkManifest manifest = new ChunkManifest(op.totalSizeBytes(), op.chunkSizeBytes(), shas, sha);
    if (acceptedUnseen.remove(op.operationId())) {
      // accepted by size and time, not by its bytes: the store's manifest must not vouch for it (another
      // writer's object of the same size would read as corrupt everywhere); this catalog keeps it
      LOG.warn("{}: {} accepted as a lost completion keeps no manifest in the store; other machines read it"
          + " unverified ('streamfs verify {}' checks it here)", op.operationId(), op.key(), op.operationId());
      ctx.manifests.putInCatalog(op.key(), info.version(), manifest);
    } else {
      ctx.manifests.put(op.key(), info.version(), manifest);
    }
    ctx.manifests.retireOthers(op.key(), info.version());
    Map<String, String> meta = new LinkedHashMap<>(op.metadata());
    meta.put("version", info.version());
    StreamingOperation done = op.withChecksum(sha).withMetadata(meta)
        .withChunksCompleted(op.chunksTotal()).withStatus(OperationStatus.COMPLETED, null);
    if (ctx.config.cleanupCompleted()) {
      ctx.catalog.putOperationWithChunks(done, List.of());
    } else {
      ctx.catalog.putOperation(done);
    }
    saga.settle(op.operationId(), op.uploadId());
    progress.onProgress(100.0, done);
    return done;
  }

  static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("file ended early at " + pos + " (it shrank while being uploaded?)");
      }
      pos += n;
    }
  }

  /** The parallel part of one multipart pass: workers send chunks, this checkpoints each confirmation. */
  private final class ChunkRun {
    private StreamingOperation op;
    private final Map<Integer, ChunkMetadata> chunks;
    private final ProgressListener progress;
    final AtomicReference<IOException> failure = new AtomicReference<>();
    private int inFlight;
    private int completed;
    private int retries;

    ChunkRun(StreamingOperation op, Map<Integer, ChunkMetadata> chunks, ProgressListener progress) {
      this.op = op;
      this.chunks = chunks;
      this.progress = progress;
    }

    synchronized StreamingOperation op() {
      return op;
    }

    synchronized int retries() {
      return retries;
    }

    void send(int index, ByteBuffer buf, String sha, ChunkMetadata known, BufferPool pool) {
      synchronized (this) {
        inFlight++;
      }
      String key = op.key();
      String uploadId = op.uploadId();
      ctx.workers.execute(() -> {
        ChunkMetadata cm = known;
        try {
          byte[] digest = sha != null ? Sha256.fromHex(sha) : Sha256.digest(buf);
          String hex = sha != null ? sha : Sha256.hex(digest);
          ChunkMetadata[] holder = {cm};
          PartReceipt r = ctx.retry.run("upload part " + (index + 1) + " of " + key,
              () -> ctx.store.uploadPart(key, uploadId, index + 1, buf, digest),
              (attempt, cause) -> {
                holder[0] = holder[0].withRetry();
                synchronized (this) {
                  retries++;
                }
              });
          cm = holder[0];
          confirm(cm.confirmed(hex, r.etag()));
        } catch (IOException e) {
          failure.compareAndSet(null, e);
        } catch (RuntimeException | Error e) {
          failure.compareAndSet(null, new IOException("upload of chunk " + index + " failed: " + e, e));
        } finally {
          pool.release(buf);
          synchronized (this) {
            inFlight--;
            notifyAll();
          }
        }
      });
    }

    void confirm(ChunkMetadata c) {
      StreamingOperation snapshot;
      synchronized (this) {
        chunks.put(c.chunkIndex(), c);
        completed++;
        op = op.withChunksCompleted(Math.max(op.chunksCompleted(), completed)).withRetryCount(retries);
        ctx.catalog.checkpoint(op, c);
        snapshot = op;
      }
      progress.onProgress(snapshot.progressPercent(), snapshot);
    }

    synchronized void count() {
      completed++;
      op = op.withChunksCompleted(Math.max(op.chunksCompleted(), completed));
    }

    synchronized void awaitAll() throws IOException {
      while (inFlight > 0) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while waiting for chunk uploads");
        }
      }
    }
  }
}

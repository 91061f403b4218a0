package org.streamfs.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.Sha256;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreKeys;

/**
 * Downloads an object into a local file: chunks are fetched with ranged reads pinned to the object's
 * version, verified against the manifest recorded at upload (when this machine wrote the object), written
 * at their offset into a partial file next to the destination and checkpointed. Resume re-checks the
 * chunks already on disk and fetches only the rest; the partial file is renamed into place only when whole
 * and verified (whole-file SHA-256 where known). A changed remote object restarts the download.
 */
final class FileDownloader {
  private static final Logger LOG = LoggerFactory.getLogger(FileDownloader.class);
  private final EngineContext ctx;
  private final Saga saga;
  private final ChunkFetcher fetcher;

  FileDownloader(EngineContext ctx, Saga saga, ChunkFetcher fetcher) {
    this.ctx = ctx;
    this.saga = saga;
    this.fetcher = fetcher;
  }

  static Path partialOf(Path dest, String operationId) {
    return dest.resolveSibling("." + dest.getFileName() + "." + operationId + ".partial");
  }

  StreamingOperation create(String key, Path destination) throws IOException {
    StoreKeys.validate(key, ctx.store.limits().maxKeyBytes());
    ObjectInfo info = ctx.retry.run("stat " + key, () -> ctx.store.stat(key));
    if (info.isDirectory()) {
      throw new IOException(key + " is a directory");
    }
    Path dest = destination.toAbsolutePath();
    if (Files.isDirectory(dest)) {
      String name = key.substring(key.lastIndexOf('/') + 1);
      dest = dest.resolve(name);
    }
    Path parent = dest.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new java.nio.file.NoSuchFileException(String.valueOf(parent), null,
          "destination directory does not exist");
    }
    ChunkManifest m = ctx.manifests.lookup(info);
    ChunkLayout layout = new ChunkLayout(info.size(), m.chunkSize());
    Instant now = Instant.now();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("version", info.version());
    StreamingOperation op = new StreamingOperation(EngineContext.newOperationId(), OperationKind.DOWNLOAD,
        dest.toString(), key, info.size(), m.chunkSize(), layout.chunkCount(), 0, OperationStatus.PENDING,
        now, now, m.sha256(), meta, null, null, 0);
    List<ChunkMetadata> chunks = new ArrayList<>();
    for (int i = 0; i < layout.chunkCount(); i++) {
      chunks.add(ChunkMetadata.pending(i, layout.offset(i), layout.size(i)).withChecksum(m.expected(i)));
    }
    ctx.catalog.putOperationWithChunks(op, chunks);
    return op;
  }

  StreamingOperation run(String operationId, ProgressListener progress) throws IOException {
    ProgressListener pl = progress == null ? ProgressListener.NONE : progress;
    return ctx.track(operationId, running -> execute(ctx.operation(operationId), running, pl));
  }

  private StreamingOperation execute(StreamingOperation op, EngineContext.Running running,
      ProgressListener progress) throws IOException {
    if (op.status() == OperationStatus.COMPLETED) {
      return op;
    }
    String version = op.metadata().get("version");
    ObjectInfo info = ctx.retry.run("stat " + op.key(), () -> ctx.store.stat(op.key()));
    Path dest = Path.of(op.fileName());
    Path partial = partialOf(dest, op.operationId());
    if (!info.version().equals(version) || info.size() != op.totalSizeBytes()) {
      throw new IOException("object " + op.key() + " changed since the download began (version " + version
          + " -> " + info.version() + "); start a new download");
    }
    StreamingOperation cur = op.withStatus(OperationStatus.IN_PROGRESS, null);
    ctx.catalog.putOperation(cur);
    if (saga.isEmpty(op.operationId())) {
      saga.recordPartialFile(cur, partial);
    }
    ChunkManifest manifest = new ChunkManifest(op.totalSizeBytes(), op.chunkSizeBytes(), List.of(),
        op.checksum());
    Map<Integer, ChunkMetadata> chunks = new HashMap<>();
    List<String> expected = new ArrayList<>();
    for (ChunkMetadata c : ctx.catalog.chunks(op.operationId())) {
      chunks.put(c.chunkIndex(), c);
    }
    ChunkLayout layout = new ChunkLayout(op.totalSizeBytes(), op.chunkSizeBytes());
    boolean verifiable = true;
    for (int i = 0; i < layout.chunkCount(); i++) {
      ChunkMetadata c = chunks.get(i);
      verifiable &= c != null && c.checksum() != null;
      expected.add(c == null ? null : c.checksum());
    }
    if (verifiable && ctx.config.verifyChecksums()) {
      manifest = new ChunkManifest(op.totalSizeBytes(), op.chunkSizeBytes(), expected, op.checksum());
    }
    BufferPool pool = new BufferPool(ctx.bufferCount(op.chunkSizeBytes()), (int) op.chunkSizeBytes());
    AtomicReference<IOException> failure = new AtomicReference<>();
    int[] inFlight = {0};
    int[] completed = {0};
    StreamingOperation[] opRef = {cur};
    try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ)) {
      for (int i = 0; i < layout.chunkCount() && failure.get() == null
          && !ctx.pollCancel(op.operationId(), running); i++) {
        ChunkMetadata c = chunks.getOrDefault(i, ChunkMetadata.pending(i, layout.offset(i), layout.size(i)));
        ByteBuffer buf = pool.acquire();
        buf.limit((int) layout.size(i));
        if (c.uploaded() && out.size() >= layout.offset(i) + layout.size(i)) {
          FileUploader.readFully(out, buf, layout.offset(i));
          buf.flip();
          String have = Sha256.hex(buf);
          if (c.etag() != null && c.etag().equals(have)) {
            pool.release(buf);
            synchronized (opRef) {
              completed[0]++;
            }
            continue;
          }
          LOG.info("{}: chunk {} on disk does not match its checkpoint; fetching it again", op.operationId(), i);
          buf.clear().limit((int) layout.size(i));
        }
        final int index = i;
        final ChunkManifest mf = manifest;
        synchronized (opRef) {
          inFlight[0]++;
        }
        ctx.workers.execute(() -> {
          try {
            fetcher.fetch(info, mf, index, buf);
            buf.flip();
            String sha = Sha256.hex(buf);
            int w = 0;
            while (buf.hasRemaining()) {
              w += out.write(buf, layout.offset(index) + w);
            }
            synchronized (opRef) {
              completed[0]++;
              // etag of a download chunk record = SHA-256 of the bytes written to the partial file
              ChunkMetadata done = c.confirmed(c.checksum() == null ? sha : c.checksum(), sha);
              opRef[0] = opRef[0].withChunksCompleted(completed[0]);
              ctx.catalog.checkpoint(opRef[0], done);
            }
            progress.onProgress(opRef[0].progressPercent(), opRef[0]);
          } catch (IOException e) {
            failure.compareAndSet(null, e);
          } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, new IOException("download of chunk " + index + " failed: " + e, e));
          } finally {
            pool.release(buf);
            synchronized (opRef) {
              inFlight[0]--;
              opRef.notifyAll();
            }
          }
        });
      }
      synchronized (opRef) {
        while (inFlight[0] > 0) {
          try {
            opRef.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
          }
        }
      }
      if (running.cancelled) {
        if (running.cleanup) {
          saga.rollback(op.operationId(), OperationStatus.CANCELLED, "cancelled by user (partial file deleted)");
        } else {
          ctx.catalog.putOperation(ctx.operation(op.operationId()).withStatus(OperationStatus.CANCELLED,
              "cancelled by user (partial file kept; 'streamfs resume' continues)"));
        }
        throw new IOException("download of " + op.key() + " was cancelled");
      }
      if (failure.get() != null) {
        IOException f = failure.get();
        ctx.catalog.putOperation(ctx.operation(op.operationId()).withStatus(OperationStatus.FAILED,
            f.getMessage()));
        throw f;
      }
      out.truncate(op.totalSizeBytes());
      String whole = wholeSha(out, op.totalSizeBytes());
      if (op.checksum() != null && !op.checksum().equals(whole)) {
        ctx.catalog.putOperation(ctx.operation(op.operationId()).withStatus(OperationStatus.FAILED,
            "whole-file checksum mismatch"));
        throw new ChecksumMismatchException(op.key(), -1, op.checksum(), whole);
      }
      out.force(true);
      opRef[0] = opRef[0].withChecksum(whole);
    }
    Files.move(partial, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDir(dest.getParent());
    saga.forget(op.operationId());
    StreamingOperation done = opRef[0].withChunksCompleted(op.chunksTotal())
        .withStatus(OperationStatus.COMPLETED, null);
    if (ctx.config.cleanupCompleted()) {
      ctx.catalog.putOperationWithChunks(done, List.of());
    } else {
      ctx.catalog.putOperation(done);
    }
    progress.onProgress(100.0, done);
    return done;
  }

  static String wholeSha(FileChannel ch, long size) throws IOException {
    MessageDigest md = Sha256.newDigest();
    ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
    long pos = 0;
    while (pos < size) {
      b.clear();
      int n = ch.read(b, pos);
      if (n < 0) {
        break;
      }
      b.flip();
      md.update(b);
      pos += n;
    }
    return Sha256.hex(md.digest());
  }

  static void fsyncDir(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      LOG.debug("fsync of directory {} not supported: {}", dir, e.toString());
    }
  }
}

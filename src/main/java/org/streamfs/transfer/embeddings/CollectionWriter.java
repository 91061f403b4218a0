package org.streamfs.transfer.embeddings;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.ChunkManifest;
import org.streamfs.transfer.StagedUpload;
import org.streamfs.transfer.StreamingManager;

/**
 * The write side of one collection upload: appends validated rows to the staging file through an
 * {@link NpyAppender}, hands every chunk to the {@link StagedUpload} the moment it is complete (checking
 * for a background failure every {@value #FAILURE_CHECK_ROWS} rows), then sends the header chunk and the
 * rest, computes the whole-file SHA-256 and commits with the collection's metadata. When appending, it
 * first stages chunk 0 and the chunk holding the old end from the existing object. One use per upload.
 */
final class CollectionWriter {
  /** Rows between checks for a background upload failure. */
  static final int FAILURE_CHECK_ROWS = 1024;
  /** Object metadata holding the whole-file SHA-256 (the engine's name for it). */
  static final String SHA256_META = "streamfs-sha256";

  private final StreamingManager engine;
  private final StagedUpload upload;
  private final Path staging;

  CollectionWriter(StreamingManager engine, StagedUpload upload, Path staging) {
    this.engine = engine;
    this.upload = upload;
    this.staging = staging;
  }

  /** Writes every row of {@code source}, hands chunks over as they complete, and commits. */
  CompletableFuture<ObjectInfo> writeAndCommit(EmbeddingSource source, ObjectInfo base, NpyHeader baseHeader,
      EmbeddingOptions options) throws IOException {
    long chunkSize = upload.chunkSize();
    int headerLength = baseHeader == null ? NpyHeader.FIXED_LENGTH : baseHeader.headerLength();
    long startRows = baseHeader == null ? 0 : baseHeader.rows();
    long size;
    long rows;
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      if (base != null) {
        prefillFromBase(ch, base, baseHeader, chunkSize);
      }
      NpyAppender out = new NpyAppender(ch, source.dim(), headerLength, startRows, chunkSize, i -> {
        upload.markDirty(i);
        upload.chunkComplete(i);
      }, options.allowNonFinite(), source.name());
      long n = 0;
      for (float[] v = source.next(); v != null; v = source.next()) {
        out.append(v);
        if (++n % FAILURE_CHECK_ROWS == 0) {
          throwIfFailed(upload);
          if (Thread.interrupted()) {
            throw new InterruptedIOException("embeddings upload of " + upload.key() + " interrupted");
          }
        }
      }
      size = out.finish();
      rows = out.rows();
      ch.force(false);
      int last = size == 0 ? 0 : (int) ((size - 1) / chunkSize);
      // the header chunk and the rest: full chunks go now, the last partial one is sent by the commit
      for (int i = 0; i <= last; i = i == 0 ? Math.max(1, out.firstUnreportedChunk()) : i + 1) {
        upload.markDirty(i);
        if ((i + 1) * chunkSize <= size) {
          upload.chunkComplete(i);
        }
      }
    }
    throwIfFailed(upload);
    Map<String, String> meta = new HashMap<>(options.metadata());
    if (base == null) {
      // appending leaves the copied chunks out of the staging file: their hash would need a download
      meta.put(SHA256_META, wholeFileSha256(staging, size));
    }
    meta.put("embeddings-dtype", "<f4");
    meta.put("embeddings-dim", Integer.toString(source.dim()));
    meta.put("embeddings-rows", Long.toString(rows));
    meta.putIfAbsent("mode", Integer.toString(0100644));
    Instant now = Instant.now();
    meta.putIfAbsent("mtime", now.getEpochSecond() + "." + String.format("%09d", now.getNano()));
    return upload.commit(size, meta);
  }

  /** Appending: chunk 0 (header) and the chunk holding the old end are rewritten, so stage them whole. */
  private void prefillFromBase(FileChannel ch, ObjectInfo base, NpyHeader h, long chunkSize)
      throws IOException {
    ChunkManifest m = engine.manifest(base);
    long oldSize = h.fileSize();
    int lastOld = (int) ((oldSize - 1) / chunkSize);
    if (m.chunkSize() != chunkSize) {
      throw new IOException("cannot append to " + base.key() + ": it was stored in chunks of "
          + m.chunkSize() + " bytes, this upload uses " + chunkSize);
    }
    for (int i : lastOld == 0 ? new int[] {0} : new int[] {0, lastOld}) {
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(chunkSize, base.size() - i * chunkSize));
      engine.fetchChunk(base, m, i, buf);
      buf.flip();
      buf.limit((int) Math.min(buf.limit(), oldSize - i * chunkSize)); // drop anything past the rows
      while (buf.hasRemaining()) {
        ch.write(buf, i * chunkSize + buf.position());
      }
    }
  }

  /**
   * The whole-file SHA-256, read back from the staging file (the header changes last, so it cannot be
   * hashed while rows stream; the read usually comes from the page cache). The engine records per-chunk
   * checksums of staged uploads, this is the seed's file checksum that {@link #info} reports.
   */
  private static String wholeFileSha256(Path staging, long size) throws IOException {
    MessageDigest md = Sha256.newDigest();
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.READ)) {
      long pos = 0;
      while (pos < size) {
        buf.clear().limit((int) Math.min(buf.capacity(), size - pos));
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new IOException(staging + " ended at " + pos + " of " + size + " bytes");
        }
        pos += n;
        buf.flip();
        md.update(buf);
      }
    }
    return Sha256.hex(md.digest());
  }

  private static void throwIfFailed(StagedUpload upload) throws IOException {
    IOException f = upload.failure();
    if (f != null) {
      throw new IOException("embeddings upload of " + upload.key() + " failed in the background: "
          + f.getMessage(), f);
    }
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.Sha256;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectInfo;

/**
 * {@code verifyUpload}: re-reads a completed upload from the store chunk by chunk, checks every chunk against
 * the manifest recorded at upload and the whole file against the operation's SHA-256, and names the first
 * chunk that differs ({@link ChecksumMismatchException}). Memory: one chunk buffer.
 */
final class Verifier {
  private final EngineContext ctx;
  private final ChunkFetcher fetcher;

  Verifier(EngineContext ctx, ChunkFetcher fetcher) {
    this.ctx = ctx;
    this.fetcher = fetcher;
  }

  boolean verify(String operationId) throws IOException {
    StreamingOperation op = ctx.operation(operationId);
    if (op.status() != OperationStatus.COMPLETED) {
      throw new IOException("operation " + operationId + " is " + op.status().value() + ", not completed");
    }
    ObjectInfo info = ctx.retry.run("stat " + op.key(), () -> ctx.store.stat(op.key()));
    String recorded = op.metadata().get("version");
    if (recorded != null && !recorded.equals(info.version())) {
      throw new IOException("object " + op.key() + " was replaced since operation " + operationId
          + " uploaded it (version " + recorded + " -> " + info.version() + ")");
    }
    if (info.size() != op.totalSizeBytes()) {
      throw new ChecksumMismatchException(op.key(), -1, op.totalSizeBytes() + " bytes", info.size() + " bytes");
    }
    ChunkManifest m = ctx.manifests.lookup(info);
    MessageDigest whole = Sha256.newDigest();
    if (m.verifiable()) {
      ChunkLayout layout = new ChunkLayout(m.size(), m.chunkSize());
      ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(m.chunkSize(), Math.max(1, m.size())));
      for (int i = 0; i < layout.chunkCount(); i++) {
        buf.clear().limit((int) layout.size(i));
        fetcher.fetch(info, m, i, buf);
        buf.flip();
        whole.update(buf);
      }
    } else {
      try (InputStream in = ctx.retry.run("read " + op.key(),
          () -> ctx.store.read(op.key(), 0, -1, info.version()))) {
        byte[] b = new byte[1 << 16];
        for (int n; (n = in.read(b)) > 0; ) {
          whole.update(b, 0, n);
        }
      }
    }
    String actual = Sha256.hex(whole.digest());
    if (op.checksum() != null && !op.checksum().equals(actual)) {
      throw new ChecksumMismatchException(op.key(), -1, op.checksum(), actual);
    }
    return true;
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;

/**
 * Fetches one chunk of one object version with a ranged read pinned to that version, with retries, and
 * verifies it against the manifest before anyone sees the bytes. A mismatch is fetched once more; if it
 * still does not match it is logged (object, chunk, both digests) and reported as
 * {@link ChecksumMismatchException} — never wrong bytes.
 */
final class ChunkFetcher {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkFetcher.class);
  private static final int SLICE = 256 * 1024;
  private final EngineContext ctx;

  ChunkFetcher(EngineContext ctx) {
    this.ctx = ctx;
  }

  /** Fills {@code dst} (from its position, exactly the chunk's size) with chunk {@code index}. */
  void fetch(ObjectInfo obj, ChunkManifest m, int index, ByteBuffer dst) throws IOException {
    ChunkLayout layout = new ChunkLayout(m.size(), m.chunkSize());
    long offset = layout.offset(index);
    int length = (int) layout.size(index);
    if (dst.remaining() < length) {
      throw new IllegalArgumentException("buffer of " + dst.remaining() + " bytes for chunk of " + length);
    }
    String expected = ctx.config.verifyChecksums() ? m.expected(index) : null;
    int start = dst.position();
    for (int attempt = 0; ; attempt++) {
      dst.position(start).limit(start + length);
      // A checksum error raised by the store itself (a sealed frame that does not authenticate) is not a
      // transient fault to back off from: it is handled like our own mismatch, with one immediate refetch.
      ChecksumMismatchException storeSaid = ctx.retry.run("read chunk " + index + " of " + obj.key(), () -> {
        dst.position(start).limit(start + length);
        try {
          readRange(obj, offset, dst);
          return null;
        } catch (ChecksumMismatchException e) {
          return e;
        }
      });
      String actual = null;
      if (storeSaid == null) {
        if (expected == null) {
          return;
        }
        ByteBuffer view = dst.duplicate();
        view.position(start).limit(start + length);
        actual = Sha256.hex(view);
        if (expected.equals(actual)) {
          return;
        }
      }
      if (attempt >= 1) {
        LOG.error("chunk {} of {} (version {}) does not match its checksum after a refetch: {}", index,
            obj.key(), obj.version(), storeSaid != null ? storeSaid.getMessage()
                : "expected " + expected + ", got " + actual);
        throw storeSaid != null ? storeSaid : new ChecksumMismatchException(obj.key(), index, expected, actual);
      }
      LOG.warn("chunk {} of {} does not match its checksum; fetching it again", index, obj.key());
    }
  }

  private void readRange(ObjectInfo obj, long offset, ByteBuffer dst) throws IOException {
    int want = dst.remaining();
    try (FileChannel local = ctx.store.openLocal(obj.key(), obj.version())) {
      if (local != null) {
        readLocal(obj, local, offset, dst);
        return;
      }
    }
    try (InputStream in = ctx.store.read(obj.key(), offset, want, obj.version())) {
      byte[] tmp = new byte[(int) Math.min(want, 1 << 16)];
      while (dst.hasRemaining()) {
        int n = in.read(tmp, 0, Math.min(tmp.length, dst.remaining()));
        if (n < 0) {
          throw new StoreException(StoreException.Kind.TRANSIENT, obj.key(), "short read at "
              + (offset + want - dst.remaining()) + " (" + dst.remaining() + " bytes missing)");
        }
        dst.put(tmp, 0, n);
      }
    }
  }

  /**
   * Positional reads straight into {@code dst} from a store file offered in place (no stream, no 64 KiB
   * copy loop), in slices the JDK's per-thread temporary direct buffer serves for a heap buffer.
   */
  private static void readLocal(ObjectInfo obj, FileChannel ch, long offset, ByteBuffer dst) throws IOException {
    int want = dst.remaining();
    while (dst.hasRemaining()) {
      ByteBuffer slice = dst.slice(dst.position(), Math.min(SLICE, dst.remaining()));
      int n = ch.read(slice, offset + want - dst.remaining());
      if (n < 0) {
        throw new StoreException(StoreException.Kind.TRANSIENT, obj.key(), "short read at "
            + (offset + want - dst.remaining()) + " (" + dst.remaining() + " bytes missing)");
      }
      dst.position(dst.position() + n);
    }
  }
}

package org.streamfs.staging;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.StagedUpload;

/**
 * The staged bytes of one file being written: a sparse spool file (its length always the file's size, as
 * the engine expects) plus which chunks of it are
 * authoritative. A chunk that lies (partly) in the base object is authoritative only once it has been
 * filled from the store (read-modify-write) or completely overwritten; other chunks read as zeros where not
 * written. Every changed chunk is marked dirty on the {@link StagedUpload}, and a chunk the writer has
 * moved past is handed over for upload at once ({@link StagedUpload#chunkComplete}, on the staging area's
 * hand-off thread, so the writer does not wait for the engine's upload queue). Chunks never touched
 * are copied server-side from the base by the engine. All methods are synchronized on this object.
 */
public final class StagedFile implements AutoCloseable {

  /** Reads bytes of the base object version (through the chunk cache). */
  @FunctionalInterface
  public interface BaseReader {
    void read(long offset, ByteBuffer dst) throws IOException;
  }

  private final Staging staging;
  private final Path path;
  private final RandomAccessFile file;
  private final FileChannel channel;
  private final StagedUpload upload;
  private final BaseReader base;
  private final long chunkSize;
  private final BitSet filled = new BitSet();
  private long size;
  private long baseLimit;
  private boolean committed;
  /** A pressure push of this file's dirty chunks is waiting on the hand-off thread. */
  private final java.util.concurrent.atomic.AtomicBoolean pushQueued = new java.util.concurrent.atomic.AtomicBoolean();

  /** Opens a staged file over {@code path} (created by {@link Staging#newFile}) for an upload. */
  public StagedFile(Staging staging, Path path, StagedUpload upload, ObjectInfo baseObject, BaseReader base)
      throws IOException {
    this.staging = staging;
    this.path = path;
    this.file = new RandomAccessFile(path.toFile(), "rw");
    this.channel = file.getChannel();
    this.upload = upload;
    this.base = base;
    this.chunkSize = upload.chunkSize();
    this.size = baseObject == null ? 0 : baseObject.size();
    this.baseLimit = size;
    file.setLength(size);
    staging.register(upload.operationId(), this);
  }

  public Path path() {
    return path;
  }

  public StagedUpload upload() {
    return upload;
  }

  public synchronized long size() {
    return size;
  }

  /** Staged bytes (whole chunks that hold written data, holes not counted) the store has not confirmed. */
  long unconfirmedBytes() {
    return upload.unconfirmedBytes();
  }

  /**
   * Whether uploads of this file will free staging room without the writer's help: chunks are being sent,
   * or the file is committed (its completion sends the rest), or it has complete dirty chunks to push.
   */
  synchronized boolean canFreeRoom() {
    if (committed) {
      return upload.unconfirmedBytes() > 0;
    }
    return upload.sending() || upload.pushable(index(size)) > 0;
  }

  /**
   * Staging is over its bound: hands every dirty chunk lying wholly inside the file to the engine now,
   * without waiting for the writer to move past it or to close (a random writer's chunks). A chunk written
   * again later is sent again. The chunk holding the end of the file waits for the commit (a part cannot
   * be shorter than the chunk size until it is the last). At most one push per file is queued at a time.
   */
  void pushDirty() {
    int full;
    synchronized (this) {
      if (committed) {
        return;
      }
      full = index(size);
    }
    if (upload.pushable(full) > 0 && pushQueued.compareAndSet(false, true)) {
      staging.handOff(() -> {
        pushQueued.set(false);
        int now;
        synchronized (this) {
          if (committed) {
            return;
          }
          now = index(size); // the file may have shrunk since the push was asked for
        }
        upload.pushDirty(now);
      });
    }
  }

  /**
   * Writes {@code src}'s remaining bytes at {@code offset}; waits first if staging is over its bound.
   * Returns false (writing nothing) if the file was committed meanwhile: the caller starts a new session.
   */
  public boolean write(long offset, ByteBuffer src) throws IOException {
    staging.awaitRoom(src.remaining());
    synchronized (this) {
      if (committed) {
        return false;
      }
      long len = src.remaining();
      if (len == 0) {
        return true;
      }
      long end = offset + len;
      long newSize = Math.max(size, end);
      int first = index(offset);
      int last = index(end - 1);
      for (int i = first; i <= last; i++) {
        long cStart = (long) i * chunkSize;
        long cEnd = Math.min(cStart + chunkSize, newSize);
        if (!authoritative(i)) {
          if (offset <= cStart && end >= cEnd) {
            filled.set(i);
          } else {
            fill(i);
          }
        }
      }
      if (offset > size) {
        growLocked(offset);
      }
      while (src.hasRemaining()) {
        channel.write(src, offset + (len - src.remaining()));
      }
      if (end > size) {
        size = end;
      }
      for (int i = first; i <= last; i++) {
        upload.markDirty(i);
      }
      for (int i = first; i <= last; i++) {
        long cEnd = (long) (i + 1) * chunkSize;
        if (end >= cEnd) {
          int index = i;
          staging.handOff(() -> upload.chunkComplete(index));
        }
      }
      return true;
    }
  }

  /**
   * Sets the size (truncate/ftruncate); growing reads as zeros. Shrinking supersedes uploads in flight of
   * the chunks it cuts (they are told before the spool file shrinks, so a send that then reads short knows
   * it was superseded and drops its part instead of failing the file).
   */
  public synchronized void truncate(long newSize) throws IOException {
    checkOpen();
    if (newSize < size) {
      int i = index(newSize);
      boolean partial = newSize % chunkSize != 0;
      if (partial && !authoritative(i)) {
        fill(i);
      }
      upload.truncated(newSize);
      file.setLength(newSize);
      if (partial) {
        upload.markDirty(i);
      }
      baseLimit = Math.min(baseLimit, newSize);
      size = newSize;
    } else if (newSize > size) {
      growLocked(newSize);
      file.setLength(newSize);
      size = newSize;
    }
  }

  /**
   * Marks dirty every chunk from the one holding the old end to the one holding {@code newEnd - 1}: the
   * first holds data when the old end is inside it, the others are holes (zeros, no staged bytes).
   */
  private void growLocked(long newEnd) throws IOException {
    int from = index(size);
    if (size % chunkSize != 0) {
      if (!authoritative(from)) {
        fill(from);
      }
      upload.markDirty(from);
      from++;
    }
    baseLimit = Math.min(baseLimit, size);
    for (int i = from; i <= index(newEnd - 1); i++) {
      upload.markZeroed(i);
    }
  }

  /** Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count (0 at end of file). */
  public synchronized int read(long offset, ByteBuffer dst) throws IOException {
    if (offset >= size) {
      return 0;
    }
    int want = (int) Math.min(dst.remaining(), size - offset);
    int done = 0;
    while (done < want) {
      long pos = offset + done;
      int i = index(pos);
      long cEnd = Math.min((long) (i + 1) * chunkSize, size);
      int n = (int) Math.min(want - done, cEnd - pos);
      ByteBuffer slice = dst.slice(dst.position() + done, n);
      if (authoritative(i)) {
        readStaged(pos, slice);
      } else {
        base.read(pos, slice);
      }
      done += n;
    }
    dst.position(dst.position() + done);
    return done;
  }

  /** Commits at the current size: durably "closed", then completed in the background by the engine. */
  public synchronized CompletableFuture<ObjectInfo> commit(Map<String, String> metadata) throws IOException {
    checkOpen();
    committed = true;
    return upload.commit(size, metadata);
  }

  /**
   * Records durably that the file was closed at its current size, leaving the session open: writes may go
   * on, and {@link #commit} completes it later (the mount's write-back delay). A crash from now on resumes
   * the upload with the staged bytes as they are then.
   */
  public synchronized void seal(Map<String, String> metadata) throws IOException {
    checkOpen();
    upload.seal(size, metadata);
  }

  /** Rolls the upload back (unlinked while open); the staged bytes stay for recovery. */
  public synchronized void abort(String reason) {
    committed = true;
    upload.abort(reason);
  }

  public synchronized boolean isCommitted() {
    return committed;
  }

  private void checkOpen() throws IOException {
    if (committed) {
      throw new IOException("staged file " + path.getFileName() + " already committed");
    }
  }

  private boolean authoritative(int i) {
    return filled.get(i) || (long) i * chunkSize >= baseLimit;
  }

  /** Read-modify-write: copies the base bytes of chunk {@code i} into the spool file. */
  private void fill(int i) throws IOException {
    long start = (long) i * chunkSize;
    long len = Math.min(chunkSize, baseLimit - start);
    if (len > 0) {
      ByteBuffer buf = ByteBuffer.allocate((int) len);
      base.read(start, buf);
      buf.flip();
      while (buf.hasRemaining()) {
        channel.write(buf, start + buf.position());
      }
    }
    filled.set(i);
  }

  private void readStaged(long pos, ByteBuffer dst) throws IOException {
    int n = dst.remaining();
    int got = 0;
    while (got < n) {
      int r = channel.read(dst, pos + got);
      if (r <= 0) {
        break;
      }
      got += r;
    }
    while (dst.hasRemaining()) {
      dst.put((byte) 0);
    }
  }

  private int index(long pos) {
    return (int) (pos / chunkSize);
  }

  /** Closes the channel (the engine owns and deletes the file). */
  @Override
  public synchronized void close() throws IOException {
    file.close();
  }
}

package org.streamfs.staging;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The staging area: a directory (0700) of spool files, one per file being written through the mount, and
 * the back-pressure that bounds it. "Dirty" bytes are staged bytes the store has not confirmed yet; when
 * they exceed {@code maxDirty}, a writer waits (it does not fail) until uploads confirm enough, as long as
 * some upload is actually running: a writer whose own bytes cannot be uploaded before it closes the file (a
 * random writer) is let through instead of dead-locking. A staging file stays registered until the engine
 * reports its operation terminal ({@link #release}); the engine deletes the file.
 */
public final class Staging {
  private static final Logger LOG = LoggerFactory.getLogger(Staging.class);
  private final Path dir;
  private final long maxDirty;
  private final Map<String, StagedFile> files = new ConcurrentHashMap<>();
  private final Object room = new Object();

  public Staging(Path dir, long maxDirty) throws IOException {
    this.dir = dir;
    this.maxDirty = maxDirty;
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  public Path dir() {
    return dir;
  }

  public long maxDirty() {
    return maxDirty;
  }

  /** A fresh, empty spool file (0600). */
  public Path newFile() throws IOException {
    Path p = dir.resolve(UUID.randomUUID() + ".stage");
    Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return p;
  }

  void register(String operationId, StagedFile f) {
    files.put(operationId, f);
  }

  /** The engine finished with this operation (completed, failed or cancelled): its bytes no longer count. */
  public void release(String operationId) {
    files.remove(operationId);
    synchronized (room) {
      room.notifyAll();
    }
  }

  /** Bytes staged and not yet confirmed by the store, over all files. */
  public long dirtyBytes() {
    long sum = 0;
    for (StagedFile f : files.values()) {
      sum += f.unconfirmedBytes();
    }
    return sum;
  }

  /** Bytes handed to the engine for upload and not yet confirmed: if zero, waiting frees nothing. */
  private long inFlightBytes() {
    long sum = 0;
    for (StagedFile f : files.values()) {
      sum += f.queuedBytes();
    }
    return sum;
  }

  /** Free bytes on the staging disk. */
  public long usableSpace() {
    try {
      FileStore fs = Files.getFileStore(dir);
      return fs.getUsableSpace();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Total bytes of the staging disk. */
  public long totalSpace() {
    try {
      return Files.getFileStore(dir).getTotalSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Back-pressure: waits while staging {@code incoming} more bytes would pass {@code maxDirty} and uploads
   * are running that will free room.
   */
  void awaitRoom(long incoming) throws InterruptedIOException {
    if (dirtyBytes() + incoming <= maxDirty) {
      return;
    }
    long start = System.nanoTime();
    boolean logged = false;
    synchronized (room) {
      while (dirtyBytes() + incoming > maxDirty && inFlightBytes() > 0) {
        if (!logged && System.nanoTime() - start > 1_000_000_000L) {
          LOG.info("writer waiting for uploads: {} dirty bytes, limit {}", dirtyBytes(), maxDirty);
          logged = true;
        }
        try {
          room.wait(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for staging room");
        }
      }
    }
  }
}

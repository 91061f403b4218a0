package org.streamfs.staging;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
  private final long reserve;
  /** Looked up once: Files.getFileStore parses the whole mount table, and writers ask on every write. */
  private final FileStore store;
  /** Hands complete chunks to the engine off the writer's thread (the engine's queue may block). */
  private final ExecutorService handOff = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "staging-handoff");
    t.setDaemon(true);
    return t;
  });

  public Staging(Path dir, long maxDirty) throws IOException {
    this.dir = dir;
    this.maxDirty = maxDirty;
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    this.store = Files.getFileStore(dir);
    this.reserve = Math.min(64L << 20, totalSpace() / 20);
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

  /**
   * Runs {@code task} (a chunk hand-over to the engine) on the hand-off thread, in order, so that a writer
   * is held back only by this area's own bound (--max-dirty), not by the engine's upload queue.
   */
  void handOff(Runnable task) {
    handOff.execute(task);
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
      return store.getUsableSpace();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Free space kept on the staging disk (for the catalog): 5% of the disk, at most 64 MiB. */
  long reserve() {
    return reserve;
  }

  /** Total bytes of the staging disk. */
  public long totalSpace() {
    try {
      return store.getTotalSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Back-pressure: waits while staging {@code incoming} more bytes would pass {@code maxDirty} and uploads
   * are running that will free room. Fails with "No space left on device" (ENOSPC) when the staging disk
   * would drop under its reserve: the disk is really full, waiting would not help.
   */
  void awaitRoom(long incoming) throws IOException {
    long free = usableSpace();
    if (free - incoming < reserve()) {
      throw new IOException("No space left on device: staging disk of " + dir + " has " + free
          + " bytes free, keeping " + reserve() + " for the catalog");
    }
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

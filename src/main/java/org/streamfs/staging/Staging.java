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
 * the back-pressure that bounds it. "Dirty" bytes are whole chunks holding written data (holes do not
 * count) that the store has not confirmed yet; when they would exceed {@code maxDirty}, open files' dirty
 * chunks are uploaded at once (not only when the writer moves past them or closes) and the writer waits
 * while that frees room; it is let through when nothing can free room, and fails with ENOSPC when the store
 * confirms nothing for the stall timeout ({@link #awaitRoom}). A staging file stays registered until the engine
 * reports its operation terminal ({@link #release}); the engine deletes the file.
 */
public final class Staging {
  private static final Logger LOG = LoggerFactory.getLogger(Staging.class);
  private final Path dir;
  private final long maxDirty;
  private final long stallTimeoutNanos;
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

  /** How long a writer waits for room while the store confirms nothing, by default. */
  public static final java.time.Duration DEFAULT_STALL_TIMEOUT = java.time.Duration.ofSeconds(30);

  public Staging(Path dir, long maxDirty) throws IOException {
    this(dir, maxDirty, DEFAULT_STALL_TIMEOUT);
  }

  public Staging(Path dir, long maxDirty, java.time.Duration stallTimeout) throws IOException {
    this.dir = dir;
    this.maxDirty = maxDirty;
    this.stallTimeoutNanos = stallTimeout.toNanos();
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
   * Back-pressure. While staging {@code incoming} more bytes would take the unconfirmed bytes past
   * {@code maxDirty}, every open file is asked to upload its complete dirty chunks now (not only at close),
   * and the writer waits for the store to confirm enough. It never waits for room that nothing will free:
   * when no upload is running or can be started (the rest is in the chunks holding the ends of open files,
   * which go at close), it is let through. It never waits forever: when the store confirms nothing for
   * {@code stallTimeout}, the write fails with {@link StagingStalledException} (ENOSPC) and a log line
   * saying why. A staging disk that would drop under its reserve fails at once with "No space left on
   * device" (ENOSPC): waiting would not help.
   */
  void awaitRoom(long incoming) throws IOException {
    long free = usableSpace();
    if (free - incoming < reserve()) {
      throw new IOException("No space left on device: staging disk of " + dir + " has " + free
          + " bytes free, keeping " + reserve() + " for the catalog");
    }
    long dirty = dirtyBytes();
    if (dirty + incoming <= maxDirty) {
      return;
    }
    long start = System.nanoTime();
    long lastProgress = start;
    long least = dirty;
    boolean logged = false;
    synchronized (room) {
      while (true) {
        boolean canFree = false;
        for (StagedFile f : files.values()) {
          f.pushDirty();
          canFree |= f.canFreeRoom();
        }
        if (!canFree) {
          LOG.debug("staging over its bound ({} unconfirmed bytes, limit {}) with no upload that could free room:"
              + " write let through", dirty, maxDirty);
          return;
        }
        long now = System.nanoTime();
        if (dirty < least) {
          least = dirty;
          lastProgress = now;
        }
        if (now - lastProgress > stallTimeoutNanos) {
          String why = "staging holds " + dirty + " unconfirmed bytes (--max-dirty " + maxDirty
              + ") and the store confirmed none for " + (stallTimeoutNanos / 1_000_000_000L)
              + " s: uploads are failing or stalled";
          LOG.warn("write refused: {}", why);
          throw new StagingStalledException(why);
        }
        if (!logged && now - start > 1_000_000_000L) {
          LOG.info("writer waiting for uploads: {} unconfirmed bytes, limit {}", dirty, maxDirty);
          logged = true;
        }
        try {
          room.wait(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for staging room");
        }
        dirty = dirtyBytes();
        if (dirty + incoming <= maxDirty) {
          return;
        }
      }
    }
  }
}

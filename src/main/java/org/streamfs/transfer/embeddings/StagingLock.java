package org.streamfs.transfer.embeddings;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Marks a staging file as in use by a live upload: an exclusive OS lock on a side file
 * ({@code <staging>.lock}, opened by nothing else, because closing any descriptor of a file drops a
 * process's POSIX locks on it), held from before the staged upload opens until it completes or aborts.
 * The kernel drops it when the process dies, so {@link EmbeddingStore#recover} can tell a crashed upload
 * (lock free) from one still running in another process (lock held) or in this JVM (in {@link #HELD}).
 */
final class StagingLock {
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;
  private boolean released;

  private StagingLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  static Path lockFile(Path staging) {
    return staging.resolveSibling(staging.getFileName() + ".lock");
  }

  static StagingLock acquire(Path staging) throws IOException {
    Path f = lockFile(staging).toAbsolutePath();
    FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock l = ch.tryLock();
      if (l == null) {
        throw new IOException(staging + " is in use by another process");
      }
      HELD.add(f);
      return new StagingLock(f, ch, l);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** True if a live upload (this JVM or another process) holds the staging file's lock. */
  static boolean inUse(Path staging) {
    Path f = lockFile(staging).toAbsolutePath();
    if (HELD.contains(f)) {
      return true;
    }
    if (!Files.exists(f)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      FileLock l = ch.tryLock();
      if (l == null) {
        return true;
      }
      l.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Releases the lock and deletes the side file; idempotent. */
  synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    try {
      Files.deleteIfExists(file);
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the lock goes with the descriptor or the process; a stale side file is harmless
    } finally {
      HELD.remove(file);
    }
  }
}

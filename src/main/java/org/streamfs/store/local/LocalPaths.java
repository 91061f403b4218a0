package org.streamfs.store.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;

/**
 * The local store's file-system geometry and its two safety rules. First, a key maps to a path that stays
 * inside the root even through symlinks: after {@link StoreKeys#validate} the real path of the nearest
 * existing ancestor (and of the object itself when it is a symlink) must lie under the root's real path.
 * Second, nothing appears half-written: bytes go to a temp file under {@code .streamfs-tmp/}, which is
 * fsynced, renamed onto its final name and followed by an fsync of the directory (restic's local
 * {@code Save}). Bookkeeping lives in {@code .streamfs-uploads/} and {@code .streamfs-tmp/}, both 0700.
 */
final class LocalPaths {
  static final String UPLOADS = ".streamfs-uploads";
  static final String TMP = ".streamfs-tmp";
  private static final Duration STALE_TEMP = Duration.ofDays(1);

  final Path root;
  final Path uploads;
  final Path tmp;
  private volatile Path rootReal;

  LocalPaths(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.uploads = this.root.resolve(UPLOADS);
    this.tmp = this.root.resolve(TMP);
  }

  /** Checks the root exists and creates the hidden directories; removes temp files left by a crash. */
  void prepare() throws StoreException {
    requireRoot();
    try {
      for (Path d : new Path[] {uploads, tmp}) {
        if (!Files.isDirectory(d)) {
          Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
      }
      Instant old = Instant.now().minus(STALE_TEMP);
      try (Stream<Path> s = Files.list(tmp)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          if (Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(old)) {
            Files.deleteIfExists(p);
          }
        }
      }
    } catch (IOException e) {
      throw LocalErrors.map(null, "preparing " + root, e);
    }
  }

  /** The root's real path; NOT_FOUND with a clear message when the directory is missing. */
  Path requireRoot() throws StoreException {
    if (!Files.isDirectory(root)) {
      throw new StoreException(Kind.NOT_FOUND, null, "store directory does not exist: " + root);
    }
    Path r = rootReal;
    if (r == null) {
      try {
        r = root.toRealPath();
      } catch (IOException e) {
        throw LocalErrors.map(null, "resolving " + root, e);
      }
      rootReal = r;
    }
    return r;
  }

  /** The path of a validated key (a trailing / is dropped); no file-system check. */
  Path path(String key) throws StoreException {
    StoreKeys.validate(key);
    String rel = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    return root.resolve(rel);
  }

  /** The path of an object to read: its ancestors, and itself if a symlink, must resolve inside the root. */
  Path existing(String key) throws StoreException {
    Path p = path(key);
    Path real = requireRoot();
    try {
      Path parent = p.getParent().toRealPath();
      if (!parent.startsWith(real)) {
        throw escape(key);
      }
      if (Files.isSymbolicLink(p) && !p.toRealPath().startsWith(real)) {
        throw escape(key);
      }
    } catch (NoSuchFileException e) {
      throw StoreException.notFound(key);
    } catch (IOException e) {
      throw LocalErrors.map(key, "resolving", e);
    }
    return p;
  }

  /** The path of an object to write; creates its parent directories after checking they stay inside. */
  Path forWrite(String key) throws StoreException {
    Path p = path(key);
    Path real = requireRoot();
    try {
      Path ancestor = p.getParent();
      while (!Files.exists(ancestor)) {
        ancestor = ancestor.getParent();
      }
      if (!ancestor.toRealPath().startsWith(real)) {
        throw escape(key);
      }
      Files.createDirectories(p.getParent());
      if (!p.getParent().toRealPath().startsWith(real)) {
        throw escape(key);
      }
    } catch (FileAlreadyExistsException e) {
      throw new StoreException(Kind.PERMANENT, key, "a file is in the way of directory " + e.getFile(), e);
    } catch (IOException e) {
      throw LocalErrors.map(key, "creating parent directories", e);
    }
    return p;
  }

  private static StoreException escape(String key) {
    return new StoreException(Kind.INVALID_KEY, key, "invalid key: resolves outside the store directory"
        + " (through a symbolic link)");
  }

  /** A new empty temp file under .streamfs-tmp. */
  Path newTemp() throws IOException {
    if (!Files.isDirectory(tmp)) {
      Files.createDirectories(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path t = tmp.resolve(UUID.randomUUID().toString().replace("-", "") + ".tmp");
    Files.createFile(t);
    return t;
  }

  /** Writes the buffer's remaining bytes (position unchanged) to a new fsynced temp file. */
  Path writeTemp(ByteBuffer data) throws IOException {
    Path t = newTemp();
    try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE)) {
      ByteBuffer b = data.duplicate();
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(t);
      throw e;
    }
    return t;
  }

  /** Appends bytes [offset, offset+length) of {@code src} to the open channel. */
  static void append(FileChannel out, Path src, long offset, long length) throws IOException {
    try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
      long done = 0;
      while (done < length) {
        long n = in.transferTo(offset + done, length - done, out);
        if (n <= 0) {
          throw new IOException("short read from " + src + " at " + (offset + done));
        }
        done += n;
      }
    }
  }

  /** Renames the temp file onto the target atomically, then fsyncs the target's directory. */
  void publish(Path temp, Path target, String key) throws StoreException {
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      deleteQuietly(temp);
      throw new StoreException(Kind.PERMANENT, key, "a directory exists at this key");
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      fsyncDir(target.getParent());
    } catch (IOException e) {
      deleteQuietly(temp);
      throw LocalErrors.map(key, "publishing", e);
    }
  }

  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a temp file we could not remove is cleaned at the next open (older than a day)
    }
  }
}

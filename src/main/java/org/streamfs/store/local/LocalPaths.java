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
import org.streamfs.store.Expect;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;

/**
 * The local store's file-system geometry and its two safety rules. First, a key maps to a path that stays
 * inside the root even through symlinks: after {@link StoreKeys#validate} the real path of the nearest
 * existing ancestor (and of the object itself when it is a symlink) must lie under the root's real path.
 * Second, nothing appears half-written: bytes go to a temp file under {@code .streamfs-tmp/}, which is
 * fsynced, renamed onto its final name and followed by an fsync of the directory (restic's local
 * {@code Save}). Bookkeeping lives in {@code .streamfs-uploads/}, {@code .streamfs-tmp/} and
 * {@code .streamfs-links/}, all 0700. Keys may be longer than the 4,096 bytes a system call takes as a
 * path: such a path is reached through symbolic links in {@code .streamfs-links/}, each naming (as a path,
 * so it follows renames like any path) a leading part short enough; no directory of such a key may itself
 * be a symbolic link.
 */
final class LocalPaths {
  static final String UPLOADS = ".streamfs-uploads";
  static final String TMP = ".streamfs-tmp";
  static final String LINKS = ".streamfs-links";
  /** The longest key: 16 KiB, beyond PATH_MAX (4,096), which bounds one system call's path, not a tree. */
  static final int MAX_KEY_BYTES = 16 << 10;
  /** The longest path handed to a system call (PATH_MAX with its NUL is 4,096 bytes). */
  static final int MAX_SYSCALL_PATH = 4000;
  private static final int MAX_KNOWN_LINKS = 1 << 16;
  private static final Duration STALE_TEMP = Duration.ofDays(1);

  final Path root;
  final Path uploads;
  final Path tmp;
  final Path links;
  private volatile Path rootReal;
  private final java.util.Set<String> knownLinks = java.util.concurrent.ConcurrentHashMap.newKeySet();

  LocalPaths(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.uploads = this.root.resolve(UPLOADS);
    this.tmp = this.root.resolve(TMP);
    this.links = this.root.resolve(LINKS);
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
      if (Files.isDirectory(links, LinkOption.NOFOLLOW_LINKS)) { // made again when needed
        try (Stream<Path> s = Files.list(links)) {
          for (Path p : (Iterable<Path>) s::iterator) {
            Files.deleteIfExists(p);
          }
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

  /**
   * The path of a validated key (a trailing / is dropped); no file-system check. A path longer than a
   * system call takes starts in {@code .streamfs-links/} (see {@link #shorten}).
   */
  Path path(String key) throws StoreException {
    StoreKeys.validate(key, MAX_KEY_BYTES);
    String rel = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    return shorten(root, rel);
  }

  private static int bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  /**
   * {@code base/rel}, or if that is too long for a system call, the same place as {@code link/rest}: the
   * link (named by the SHA-256 of its target) points at {@code base/head}, the longest run of whole leading
   * segments of {@code rel} that fits; repeated while the rest is still too long. A link holds a path, so a
   * rename of a directory on the way is seen exactly as by a plain path.
   */
  private Path shorten(Path base, String rel) throws StoreException {
    int baseLen = bytes(base.toString());
    if (baseLen + 1 + bytes(rel) <= MAX_SYSCALL_PATH) {
      return base.resolve(rel);
    }
    int cut = -1;
    for (int i = rel.indexOf('/'); i > 0 && baseLen + 1 + bytes(rel.substring(0, i)) <= MAX_SYSCALL_PATH;
        i = rel.indexOf('/', i + 1)) {
      cut = i;
    }
    if (cut < 0) {
      throw new StoreException(Kind.INVALID_KEY, null, "invalid key: cannot be reached from " + base);
    }
    Path target = base.resolve(rel.substring(0, cut));
    String name = org.streamfs.model.Sha256.hex(org.streamfs.model.Sha256.digest(
        target.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    Path link = links.resolve(name);
    if (!knownLinks.contains(name)) {
      try {
        if (!Files.isSymbolicLink(link)) {
          Files.createDirectories(links,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
          Files.createSymbolicLink(link, target);
        }
      } catch (FileAlreadyExistsException e) {
        // made meanwhile by another call: the same name holds the same target
      } catch (IOException e) {
        throw LocalErrors.map(null, "linking a long path", e);
      }
      if (knownLinks.size() >= MAX_KNOWN_LINKS) {
        knownLinks.clear();
      }
      knownLinks.add(name);
    }
    return shorten(link, rel.substring(cut + 1));
  }

  /**
   * {@code entry}, a directory entry listed as {@code key}, by a path a system call takes: itself, or if
   * too long, {@link #path} of its key (null if the name cannot be a key).
   */
  Path reachable(Path entry, String key) {
    if (bytes(entry.toString()) <= MAX_SYSCALL_PATH) {
      return entry;
    }
    try {
      return path(key);
    } catch (StoreException e) {
      return null;
    }
  }

  /** Whether {@code p} (from {@link #path}) goes through {@code .streamfs-links/}. */
  private boolean linked(Path p) {
    return p.startsWith(links);
  }

  /**
   * The safety rule for a key reached through links: no directory on its way, and not the object itself,
   * may be a symbolic link (their real paths are too long to compare with the root's). With {@code create},
   * missing directories are made; without, a missing one is NOT_FOUND.
   */
  private void checkLinked(String key, boolean create) throws StoreException {
    String rel = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    try {
      for (int i = rel.indexOf('/'); ; i = rel.indexOf('/', i + 1)) {
        boolean last = i < 0;
        Path p = shorten(root, last ? rel : rel.substring(0, i));
        if (Files.isSymbolicLink(p)) {
          throw escape(key);
        }
        if (!last && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          if (!create) {
            throw StoreException.notFound(key);
          }
          try {
            Files.createDirectory(p);
          } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
              throw new StoreException(Kind.PERMANENT, key, "a file is in the way of directory " + p, e);
            }
          }
        }
        if (last) {
          return;
        }
      }
    } catch (StoreException e) {
      throw e;
    } catch (IOException e) {
      throw LocalErrors.map(key, create ? "creating parent directories" : "resolving", e);
    }
  }

  /** The path of an object to read: its ancestors, and itself if a symlink, must resolve inside the root. */
  Path existing(String key) throws StoreException {
    Path p = path(key);
    if (linked(p)) {
      checkLinked(key, false);
      return p;
    }
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
    if (linked(p)) {
      checkLinked(key, true);
      return p;
    }
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
    publish(temp, target, key, Expect.ANY, null);
  }

  /**
   * Renames the temp file onto the target atomically if the key holds what {@code expect} says, then fsyncs
   * the target's directory; CONFLICT (temp deleted, nothing changed) if not. Every publish of this store
   * (conditional or not) holds the store's publish lock: a lock in this JVM, then {@link FileChannel#lock}
   * on {@value #PUBLISH_LOCK} in the root, so two processes sharing the store directory (two mounts on one
   * machine) are serialised too, and the version checked ({@code current}) is the one renamed over. Other
   * tools writing into the directory do not take the lock.
   */
  void publish(Path temp, Path target, String key, Expect expect, VersionOf current) throws StoreException {
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      deleteQuietly(temp);
      throw new StoreException(Kind.PERMANENT, key, "a directory exists at this key");
    }
    Path real = requireRoot();
    java.util.concurrent.locks.ReentrantLock inJvm = PUBLISH_LOCKS.computeIfAbsent(real,
        r -> new java.util.concurrent.locks.ReentrantLock());
    inJvm.lock();
    try (FileChannel lockFile = FileChannel.open(real.resolve(PUBLISH_LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); java.nio.channels.FileLock held = lockFile.lock()) {
      if (!expect.isAny()) {
        String now = current.get(key);
        if (!expect.matches(now)) {
          deleteQuietly(temp);
          throw expect.conflict(key, now);
        }
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (StoreException e) {
      throw e;
    } catch (IOException e) {
      deleteQuietly(temp);
      throw LocalErrors.map(key, "publishing", e);
    } finally {
      inJvm.unlock();
    }
    try {
      fsyncDir(target.getParent());
    } catch (IOException e) {
      throw LocalErrors.map(key, "publishing", e);
    }
  }

  /** The version the key holds now, null if none (a conditional publish's check). */
  @FunctionalInterface
  interface VersionOf {
    String get(String key) throws StoreException;
  }

  /** The lock file every publish holds (see {@link #publish(Path, Path, String, Expect, VersionOf)}). */
  static final String PUBLISH_LOCK = ".streamfs-publish.lock";
  private static final java.util.Map<Path, java.util.concurrent.locks.ReentrantLock> PUBLISH_LOCKS =
      new java.util.concurrent.ConcurrentHashMap<>();

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

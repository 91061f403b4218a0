package org.streamfs.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the one LMDB environment of a state directory: creating the directory (0700), opening the
 * environment ({@code MDB_NOTLS}, byte[] buffers), running short read and write transactions, opening
 * named databases, growing the map when it is full and adopting a size another process chose. Every
 * transaction runs under the shared side of a read-write lock; changing the map size and closing take
 * the exclusive side, because LMDB allows neither while a transaction of this process is open.
 */
final class CatalogEnv implements AutoCloseable {
  static {
    LmdbNative.prepare(); // before lmdbjava's Library loads the native library
  }

  static final long DEFAULT_MAP_SIZE = 64L << 30;
  static final long MAX_MAP_SIZE = 1L << 40;
  static final int MAX_DBS = 128;
  static final int MAX_READERS = 1024;
  /** Size LMDB gives the lock file: a 192-byte header holding the first reader slot, then 64 bytes a slot. */
  static final int LOCK_FILE_BYTES = 192 + (MAX_READERS - 1) * 64;
  private static final long LOW_SPACE_BYTES = 1L << 20;
  private static final int EIO = 5;
  private static final int ENOSPC = 28;

  private static final Logger LOG = LoggerFactory.getLogger(CatalogEnv.class);
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
  private static final int FILE_MODE = 0600;
  /** LMDB must not be opened twice by one process (its locks are per process): directories open here. */
  private static final Set<Path> OPEN_DIRS = ConcurrentHashMap.newKeySet();

  /** Work done inside one transaction; may throw a checked exception of one type. */
  @FunctionalInterface
  interface TxnWork<R, E extends Exception> {
    R run(Txn<byte[]> txn) throws E;
  }

  private final Path dir;
  private final Env<byte[]> env;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Object dbiOpenLock = new Object();
  private volatile long mapSize;
  private volatile boolean closed;

  private CatalogEnv(Path dir, Env<byte[]> env) {
    this.dir = dir;
    this.env = env;
    this.mapSize = env.info().mapSize;
  }

  static CatalogEnv open(Path dir, long mapSize) throws IOException {
    Path real = prepareDirectory(dir);
    preallocateLockFile(real);
    if (!OPEN_DIRS.add(real)) {
      throw new IOException("catalog " + real + " is already open in this process (open it once and share"
          + " the Catalog)");
    }
    try {
      Env<byte[]> env = Env.create(ByteArrayProxy.PROXY_BA)
          .setMapSize(mapSize)
          .setMaxDbs(MAX_DBS)
          .setMaxReaders(MAX_READERS)
          .open(real.toFile(), FILE_MODE, EnvFlags.MDB_NOTLS);
      int stale = env.readerCheck();
      if (stale > 0) {
        LOG.info("catalog {}: cleared {} reader slot(s) left by dead processes", real, stale);
      }
      return new CatalogEnv(real, env);
    } catch (LmdbException e) {
      OPEN_DIRS.remove(real);
      throw new IOException(describeOpenFailure(real, e), e);
    } catch (RuntimeException | Error e) {
      OPEN_DIRS.remove(real);
      throw e;
    }
  }

  /** Creates the directory with mode 0700, or checks an existing one and tightens its mode. */
  private static Path prepareDirectory(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    if (!Files.exists(abs)) {
      Files.createDirectories(abs, PosixFilePermissions.asFileAttribute(DIR_MODE));
    }
    Path real = abs.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new IOException("catalog state directory " + abs + " exists and is not a directory");
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(real);
    if (!mode.equals(DIR_MODE)) {
      try {
        Files.setPosixFilePermissions(real, DIR_MODE);
      } catch (IOException e) {
        throw new IOException("catalog state directory " + real + " has mode "
            + PosixFilePermissions.toString(mode) + " and cannot be set to rwx------: " + e, e);
      }
      LOG.info("catalog {}: mode {} changed to rwx------", real, PosixFilePermissions.toString(mode));
    }
    return real;
  }

  /**
   * Creates {@code lock.mdb} with every block written before LMDB maps it. LMDB makes a new lock file
   * with ftruncate (a sparse file) and writes it through a shared mapping; on a full file system the
   * first touch of an unbacked page raises SIGBUS, which kills the JVM. Written out here first, a full
   * disk is an IOException naming the file instead. The file appears by link(2), so LMDB in another
   * process never sees it half written; a larger-than-needed file only gives LMDB more reader slots.
   */
  private static void preallocateLockFile(Path dir) throws IOException {
    Path lock = dir.resolve("lock.mdb");
    if (Files.exists(lock, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path tmp = Files.createTempFile(dir, "lock.mdb.", ".new",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer zeros = ByteBuffer.allocate(LOCK_FILE_BYTES);
        while (zeros.hasRemaining()) {
          ch.write(zeros);
        }
        ch.force(false);
      } catch (IOException e) {
        throw new IOException("cannot create the LMDB lock file " + lock + ": " + e.getMessage()
            + describeFreeSpace(dir), e);
      }
      try {
        Files.createLink(lock, tmp);
      } catch (FileAlreadyExistsException raced) {
        // another process made it first: theirs is as good
      } catch (IOException | UnsupportedOperationException noHardLinks) {
        try {
          Files.move(tmp, lock); // no hard links on this file system: a rename that does not replace
        } catch (FileAlreadyExistsException raced) {
          // another process made it first
        }
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** For an I/O failure (LMDB reports a short write on a full disk as EIO): how much room is left. */
  private static String spaceHint(LmdbException e, Path dir) {
    boolean io = e instanceof LmdbNativeException n && (n.getResultCode() == EIO || n.getResultCode() == ENOSPC);
    return io ? describeFreeSpace(dir) : "";
  }

  /** ", N bytes free on the file system holding dir" when that is readable, else "". */
  static String describeFreeSpace(Path dir) {
    try {
      long free = Files.getFileStore(dir).getUsableSpace();
      return " (" + free + " bytes free on the file system holding " + dir
          + (free < LOW_SPACE_BYTES ? ": the disk is full)" : ")");
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String describeOpenFailure(Path dir, LmdbException e) {
    Path data = dir.resolve("data.mdb");
    if (e instanceof Env.FileInvalidException) {
      return data + " is not an LMDB file, so the catalog in " + dir + " cannot be opened (move the"
          + " directory away to start with an empty catalog)";
    }
    if (e instanceof Env.VersionMismatchException) {
      return data + " was written by an incompatible LMDB version";
    }
    return "cannot open the LMDB catalog in " + dir + ": " + e.getMessage() + spaceHint(e, dir);
  }

  Path dir() {
    return dir;
  }

  /** Opens (creating) a named database with keys ordered as unsigned bytes, like LMDB's memcmp. */
  Dbi<byte[]> openDbi(String name) {
    synchronized (dbiOpenLock) {
      return write("open database " + name, txn -> env.openDbi(txn, name.getBytes(StandardCharsets.UTF_8),
          null, false, DbiFlags.MDB_CREATE, DbiFlags.MDB_UNSIGNEDKEY));
    }
  }

  /** Runs {@code work} in a read transaction. */
  <R, E extends Exception> R read(String what, TxnWork<R, E> work) throws E {
    while (true) {
      lock.readLock().lock();
      try {
        checkOpen();
        try (Txn<byte[]> txn = env.txnRead()) {
          return work.run(txn);
        }
      } catch (Dbi.MapResizedException e) {
        // another process grew the map: adopt its size below, then retry
      } catch (LmdbException e) {
        throw failure(what, e);
      } finally {
        lock.readLock().unlock();
      }
      adoptMapSize();
    }
  }

  /**
   * Runs {@code work} in a write transaction and commits it. If the map is full the transaction is
   * dropped, the map doubled (up to {@link #MAX_MAP_SIZE}) and {@code work} run again, so it must only
   * touch the transaction.
   */
  <R, E extends Exception> R write(String what, TxnWork<R, E> work) throws E {
    while (true) {
      long sizeSeen = mapSize;
      boolean full = false;
      lock.readLock().lock();
      try {
        checkOpen();
        try (Txn<byte[]> txn = env.txnWrite()) {
          R result = work.run(txn);
          txn.commit();
          return result;
        }
      } catch (Env.MapFullException e) {
        full = true;
      } catch (Dbi.MapResizedException e) {
        // another process grew the map: adopt its size below, then retry
      } catch (LmdbException e) {
        throw failure(what, e);
      } finally {
        lock.readLock().unlock();
      }
      if (full) {
        grow(sizeSeen);
      } else {
        adoptMapSize();
      }
    }
  }

  private void grow(long sizeSeen) {
    lock.writeLock().lock();
    try {
      checkOpen();
      if (mapSize != sizeSeen) {
        return;
      }
      long next = sizeSeen * 2;
      if (next > MAX_MAP_SIZE) {
        throw new UncheckedIOException(new IOException("catalog " + dir + " is full: it reached its map"
            + " size of " + sizeSeen + " bytes, the most this streamfs allows"));
      }
      env.setMapSize(next);
      mapSize = env.info().mapSize;
      LOG.info("catalog {}: map size grown from {} to {} bytes", dir, sizeSeen, mapSize);
    } catch (LmdbException e) {
      throw failure("grow the map", e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void adoptMapSize() {
    lock.writeLock().lock();
    try {
      checkOpen();
      env.setMapSize(0);
      mapSize = env.info().mapSize;
    } catch (LmdbException e) {
      throw failure("adopt the map size", e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  long mapSize() {
    return mapSize;
  }

  /** Entries whose key starts with {@code prefix} (all if empty), in key order, copied out. */
  static List<Map.Entry<byte[], byte[]>> scan(Txn<byte[]> txn, Dbi<byte[]> dbi, byte[] prefix) {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    try (Cursor<byte[]> cursor = dbi.openCursor(txn)) {
      boolean found = prefix.length == 0 ? cursor.first() : cursor.get(prefix, GetOp.MDB_SET_RANGE);
      while (found) {
        byte[] key = cursor.key();
        if (!Keys.startsWith(key, prefix)) {
          break;
        }
        out.add(Map.entry(key, cursor.val()));
        found = cursor.next();
      }
    }
    return out;
  }

  /** Deletes every entry whose key starts with {@code prefix}; returns how many. */
  static int deletePrefix(Txn<byte[]> txn, Dbi<byte[]> dbi, byte[] prefix) {
    List<byte[]> keys = new ArrayList<>();
    try (Cursor<byte[]> cursor = dbi.openCursor(txn)) {
      boolean found = prefix.length == 0 ? cursor.first() : cursor.get(prefix, GetOp.MDB_SET_RANGE);
      while (found && Keys.startsWith(cursor.key(), prefix)) {
        keys.add(cursor.key());
        found = cursor.next();
      }
    }
    for (byte[] key : keys) {
      dbi.delete(txn, key);
    }
    return keys.size();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("catalog " + dir + " is closed");
    }
  }

  private UncheckedIOException failure(String what, LmdbException e) {
    return new UncheckedIOException(new IOException("catalog " + dir + ": cannot " + what + ": "
        + e.getMessage() + spaceHint(e, dir), e));
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try {
        env.close();
      } finally {
        OPEN_DIRS.remove(dir);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }
}

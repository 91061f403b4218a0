package org.streamfs.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.streamfs.cache.ObjectReader;
import org.streamfs.staging.Staging;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreKeys;
import org.streamfs.transfer.Namespace;
import org.streamfs.transfer.StreamingManager;

/**
 * The filesystem, POSIX semantics over the store without FUSE: paths are absolute ("/a/b"), results are
 * values, failures are exceptions that {@link Errno#of} turns into one errno. Files being written or still
 * uploading ({@link OpenFiles}) take precedence over what the store says, so a file is visible in the mount
 * the moment it is created and whole to other store clients only once uploaded. Directories are markers
 * ({@code dir/}) or implied by keys below them; symlinks are small objects whose body is the target;
 * attributes and xattrs are object metadata ({@link Meta}). Rename is a move on a local directory store (a
 * directory in one rename(2)) and copy + delete elsewhere, object by object for a directory (not atomic,
 * but recorded so that the next mount finishes one a crash interrupted: {@link DirRename}). Namespace
 * changes reach the store synchronously.
 */
public final class StreamFs {
  /** Mount-wide settings: default owner, attribute cache lifetime, read-ahead cap, state dir shown on /. */
  /**
   * Mount options. {@code writeBackMillis}: how long a closed file's commit waits for a reopen that continues
   * its session (0 = commit at every close).
   */
  public record Options(long uid, long gid, long attrTtlMillis, int readAheadChunks, String stateDir,
      long writeBackMillis) {
    public Options(long uid, long gid, long attrTtlMillis, int readAheadChunks, String stateDir) {
      this(uid, gid, attrTtlMillis, readAheadChunks, stateDir, 0);
    }
  }

  /** statfs answer. */
  public record FsStats(long blockSize, long blocks, long blocksFree, long files, long filesFree,
      int nameMax) {}

  public static final int O_ACCMODE = 3;
  public static final int O_RDONLY = 0;

  private final Namespace ns;
  private final StreamingManager engine;
  private final Staging staging;
  private final ObjectReader reader;
  private final Options opts;
  private final Lookup lookup;
  private final OpenFiles files;
  private final DirRename dirRename;
  private final Names names;
  private final DirTimes dirTimes = new DirTimes();
  private final int maxKeyBytes;
  private final long startSec = Instant.now().getEpochSecond();

  public StreamFs(StreamingManager engine, Namespace ns, Staging staging, ObjectReader reader, Options opts) {
    this.engine = engine;
    this.ns = ns;
    this.staging = staging;
    this.reader = reader;
    this.opts = opts;
    this.maxKeyBytes = ns.maxKeyBytes();
    this.lookup = new Lookup(ns, opts.uid(), opts.gid(), opts.attrTtlMillis());
    this.files = new OpenFiles(engine, ns, staging, reader, lookup, opts.readAheadChunks(),
        opts.writeBackMillis());
    // a sync or a stop first hands the sessions the write-back delay holds to the engine
    engine.beforeSync(files::commitDelayed);
    this.dirRename = new DirRename(ns, files, engine.catalog().table(DirRename.TABLE));
    this.names = new Names(this, ns, lookup, files, dirRename, dirTimes, opts);
  }

  /**
   * Finishes the directory renames a crash left half done (recorded in the catalog); the mount calls it
   * after adopting resumed uploads and before it answers. Returns how many were finished.
   */
  public int finishInterruptedRenames() {
    int n = dirRename.finishInterrupted();
    if (n > 0) {
      lookup.invalidateAll();
    }
    return n;
  }

  // ---- lookup ----

  public Attr getattr(String path) throws IOException {
    String key = key(path);
    if (key.isEmpty()) {
      return dirTimes.apply(key, new Attr(Attr.S_IFDIR | 0755, opts.uid(), opts.gid(), 0,
          startSec, 0, startSec, 0, startSec, 0, 0, 1));
    }
    LiveFile f = files.get(key);
    if (f != null) {
      return f.attr(opts.uid(), opts.gid());
    }
    checkedKey(path);
    return dirTimes.apply(key, lookup.get(key).attr());
  }

  /** The attributes of {@code key} if it exists (live files first). */
  Optional<Attr> find(String key) throws IOException {
    if (key.isEmpty()) {
      return Optional.of(getattr("/"));
    }
    LiveFile f = files.get(key);
    if (f != null) {
      return Optional.of(f.attr(opts.uid(), opts.gid()));
    }
    return lookup.find(key).map(e -> dirTimes.apply(key, e.attr()));
  }

  /** Entry names of a directory, without "." and ".." (the binding adds them). */
  public List<String> readdir(String path) throws IOException {
    String key = key(path);
    Attr a = getattr(path);
    if (!a.isDirectory()) {
      throw FsException.of(Errno.ENOTDIR, path, "not a directory");
    }
    // files still being written or uploaded first: one whose upload completes while the store is listed is
    // then in one of the two (the other order could miss it: not yet listed, no longer live)
    List<String> live = files.namesIn(key);
    Set<String> names = new LinkedHashSet<>(lookup.list(key));
    names.addAll(live);
    return List.copyOf(names);
  }

  // ---- files ----

  public long create(String path, int mode, long uid, long gid) throws IOException {
    String key = checkedKey(path);
    names.parentDir(path, key);
    // the kernel believed the name free; if this mount last saw an object there, the create replaces that
    // one (as open with O_TRUNC would have) and no other writer's
    long fh = files.create(key, Meta.create(Attr.S_IFREG | (mode & 07777), uid, gid), lookup.lastSeen(key));
    lookup.invalidate(key);
    dirTimes.touchParentOf(key);
    return fh;
  }

  public long open(String path, int flags) throws IOException {
    String key = key(path);
    boolean write = (flags & O_ACCMODE) != O_RDONLY;
    if (files.get(key) == null && write) {
      Attr a = getattr(path);
      if (a.isDirectory()) {
        throw FsException.of(Errno.EISDIR, path, "is a directory");
      }
      if (a.isSpecial()) { // the kernel opens fifos and devices itself: no bytes of theirs are stored
        throw FsException.of(Errno.EINVAL, path, "not a regular file");
      }
    }
    return files.open(key, () -> {
      ObjectInfo fresh = ns.stat(key);
      lookup.remember(key, fresh);
      return fresh;
    }, write);
  }
  /** Whether the kernel may keep its cached pages of the file this handle opened (see OpenFiles). */
  public boolean keepCache(long fh) throws IOException {
    return files.keepCache(fh);
  }


  public int read(long fh, long offset, ByteBuffer dst) throws IOException {
    return files.read(fh, offset, dst);
  }

  /**
   * The largest file the mount accepts (16 TiB, ext4's own limit): growing a file marks every chunk up to
   * the new end for upload, so an absurd size (pjdfstest truncates to ~1 PB) must be refused with EFBIG
   * at once, not attempted.
   */
  public static final long MAX_FILE_SIZE = 1L << 44;

  private static void checkSize(long end) throws FsException {
    if (end < 0) {
      throw new FsException(Errno.EINVAL, "negative file size " + end);
    }
    if (end > MAX_FILE_SIZE) {
      throw new FsException(Errno.EFBIG, "file size " + end + " is over the mount's maximum of "
          + MAX_FILE_SIZE + " bytes");
    }
  }

  public void write(long fh, long offset, ByteBuffer src) throws IOException {
    checkSize(offset + src.remaining());
    files.write(fh, offset, src);
  }

  public void ftruncate(long fh, long size) throws IOException {
    checkSize(size);
    files.ftruncate(fh, size);
  }

  /** fallocate(2) mode bits (linux/falloc.h). */
  public static final int FALLOC_FL_KEEP_SIZE = 0x01;
  public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  public static final int FALLOC_FL_ZERO_RANGE = 0x10;

  /**
   * fallocate(2) on an open handle, as ext4 answers it for the modes an object store can honour: plain
   * allocation grows the file (space is the store's concern, so nothing is reserved), KEEP_SIZE alone does
   * nothing, PUNCH_HOLE|KEEP_SIZE and ZERO_RANGE write zeros over the range (ZERO_RANGE grows the file
   * unless KEEP_SIZE). COLLAPSE_RANGE, INSERT_RANGE and UNSHARE_RANGE are EOPNOTSUPP.
   */
  public void fallocate(long fh, int mode, long offset, long length) throws IOException {
    if (offset < 0 || length <= 0) {
      throw new FsException(Errno.EINVAL, "fallocate: offset " + offset + ", length " + length);
    }
    long end = offset + length;
    checkSize(end);
    boolean keep = (mode & FALLOC_FL_KEEP_SIZE) != 0;
    int kind = mode & ~FALLOC_FL_KEEP_SIZE;
    long size = files.size(fh);
    if (kind == 0) {
      if (!keep && end > size) {
        files.ftruncate(fh, end);
      }
      return;
    }
    if (kind != FALLOC_FL_PUNCH_HOLE && kind != FALLOC_FL_ZERO_RANGE
        || kind == FALLOC_FL_PUNCH_HOLE && !keep) {
      throw new FsException(Errno.ENOTSUP, "fallocate mode 0x" + Integer.toHexString(mode) + " is not supported");
    }
    long zeroEnd = keep ? Math.min(end, size) : end;
    ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(1, zeroEnd - offset)));
    for (long at = offset; at < zeroEnd; ) {
      int n = (int) Math.min(zeros.capacity(), zeroEnd - at);
      files.write(fh, at, zeros.clear().limit(n));
      at += n;
    }
  }

  public void truncate(String path, long size) throws IOException {
    checkSize(size);
    Attr a = getattr(path);
    if (a.isDirectory()) {
      throw FsException.of(Errno.EISDIR, path, "is a directory");
    }
    if (a.isSpecial()) {
      throw FsException.of(Errno.EINVAL, path, "not a regular file");
    }
    long fh = open(path, 1);
    try {
      files.ftruncate(fh, size);
    } finally {
      files.release(fh);
    }
  }

  public void flush(long fh) throws IOException {
    files.flush(fh);
  }

  public void release(long fh) throws IOException {
    files.release(fh);
  }

  public void fsync(long fh) throws IOException {
    files.fsync(fh);
  }

  // ---- namespace ----

  public void mkdir(String path, int mode, long uid, long gid) throws IOException {
    names.mkdir(path, mode, uid, gid);
  }

  public void rmdir(String path) throws IOException {
    names.rmdir(path);
  }

  public void unlink(String path) throws IOException {
    names.unlink(path);
  }

  public void symlink(String target, String path, long uid, long gid) throws IOException {
    names.symlink(target, path, uid, gid);
  }

  public String readlink(String path) throws IOException {
    return names.readlink(path);
  }

  /** mknod(2): a fifo, socket or device node ({@code rdev} kept for devices), or an empty regular file. */
  public void mknod(String path, int mode, long rdev, long uid, long gid) throws IOException {
    names.mknod(path, mode, rdev, uid, gid);
  }

  /** link(2): hard links are refused with EPERM. */
  public void link(String from, String to) throws IOException {
    names.link(from, to);
  }

  public void rename(String from, String to) throws IOException {
    names.rename(from, to);
  }

  public void chmod(String path, int mode) throws IOException {
    updateMeta(path, m -> {
      int old = Meta.parseInt(m.get(Meta.MODE), 0);
      m.put(Meta.MODE, Integer.toString((old & Attr.S_IFMT) | (mode & 07777)));
      return m;
    });
  }

  public void chown(String path, long uid, long gid) throws IOException {
    updateMeta(path, m -> {
      if (uid >= 0 && uid != 0xFFFFFFFFL) {
        m.put(Meta.UID, Long.toString(uid));
      }
      if (gid >= 0 && gid != 0xFFFFFFFFL) {
        m.put(Meta.GID, Long.toString(gid));
      }
      return m;
    });
  }

  /** Sets the modification time only (see {@link #setTimes}). */
  public void setMtime(String path, long sec, long nanos) throws IOException {
    setTimes(path, null, Instant.ofEpochSecond(sec, nanos));
  }

  /**
   * utimensat(2): sets the access and modification times, each left as it is when null (UTIME_OMIT). Both
   * are kept in the metadata and survive a remount; reads do not move atime (as with noatime), only this.
   */
  public void setTimes(String path, Instant atime, Instant mtime) throws IOException {
    if (atime == null && mtime == null) {
      getattr(path);
      return;
    }
    updateMeta(path, m -> {
      if (atime != null) {
        m.put(Meta.ATIME, Meta.formatTime(atime));
      }
      if (mtime != null) {
        m.put(Meta.MTIME, Meta.formatTime(mtime));
      }
      return m;
    });
  }

  /**
   * Changes metadata: in memory for a file being written or uploaded (its commit stores it, or it is
   * stored right after the upload), else on the store (a directory's marker is created if only implied).
   * Every such change is a status change: ctime becomes now.
   */
  void updateMeta(String path, UnaryOperator<Map<String, String>> asked) throws IOException {
    UnaryOperator<Map<String, String>> change = m -> Meta.changed(asked.apply(m));
    String key = key(path);
    if (key.isEmpty()) {
      throw FsException.of(Errno.EPERM, path, "the mount root's attributes are fixed");
    }
    Attr a = getattr(path);
    if (files.changeMeta(key, m -> change.apply(Meta.withAttr(m, a)))) {
      return;
    }
    LiveFile f = files.get(key);
    if (a.isDirectory()) {
      Optional<ObjectInfo> marker = ns.find(key + "/");
      Map<String, String> m = marker.map(o -> (Map<String, String>) new HashMap<>(o.metadata()))
          .orElseGet(() -> Meta.create(Attr.S_IFDIR | 0755, opts.uid(), opts.gid()));
      // the time of the last change in it (DirTimes) is stored with this change
      m.put(Meta.MTIME, Meta.formatTime(a.mtimeSec(), a.mtimeNanos()));
      m = change.apply(Meta.withAttr(m, a));
      ObjectInfo o = marker.isPresent() ? ns.updateMetadata(key + "/", m) : ns.put(key + "/", new byte[0], m);
      lookup.remember(key, o);
      dirTimes.forget(key);
      return;
    }
    ObjectInfo cur = ns.stat(key);
    Map<String, String> m = change.apply(Meta.withAttr(new HashMap<>(cur.metadata()), a));
    ObjectInfo o = ns.updateMetadata(cur, m);
    lookup.remember(key, o);
    if (f != null) {
      synchronized (f) {
        f.base = o;
        f.meta = new HashMap<>(o.metadata());
      }
    }
  }

  // ---- xattrs (Xattrs) ----

  public byte[] getxattr(String path, String name) throws IOException {
    return Xattrs.get(this, path, name);
  }

  public List<String> listxattr(String path) throws IOException {
    return Xattrs.list(this, path);
  }

  /** flags: 1 = XATTR_CREATE (fail if present), 2 = XATTR_REPLACE (fail if absent). */
  public void setxattr(String path, String name, byte[] value, int flags) throws IOException {
    Xattrs.set(this, path, name, value, flags);
  }

  public void removexattr(String path, String name) throws IOException {
    Xattrs.remove(this, path, name);
  }

  /** The metadata a path has now (pending changes of a live file included). */
  Map<String, String> metadataOf(String path, String key) throws IOException {
    if (key.isEmpty()) {
      return Map.of();
    }
    LiveFile f = files.get(key);
    if (f != null) {
      synchronized (f) {
        return new HashMap<>(f.meta);
      }
    }
    Lookup.Entry e = lookup.get(key);
    return e.object() == null ? Map.of() : e.object().metadata();
  }

  static String key(String path) {
    return FsPaths.key(path);
  }

  /** The key of a path to look up or create: ENAMETOOLONG beyond NAME_MAX or the store's key limit. */
  String checkedKey(String path) throws FsException {
    return FsPaths.checkedKey(path, maxKeyBytes);
  }

  /** The longest key the store takes (UTF-8 bytes). */
  int maxKeyBytes() {
    return maxKeyBytes;
  }

  // ---- whole mount ----

  /** statfs: the staging disk's size and free space (what bounds writes through the mount). */
  public FsStats statfs() {
    long bs = 4096;
    long total = staging.totalSpace() / bs;
    long free = Math.max(staging.usableSpace(), 0) / bs;
    return new FsStats(bs, Math.max(total, free), free, 1L << 32, 1L << 31, StoreKeys.MAX_SEGMENT_BYTES);
  }

  /**
   * Files of this mount whose latest bytes are not in the store (their upload failed; the store keeps the
   * previous version, the bytes stay staged): what sync, umount and fsync report.
   */
  public List<FailedUpload> failedUploads() {
    return files.failedUploads();
  }

  /** Live files with uploads not yet finished: (key, progress) for sync/umount displays. */
  public List<String> pendingUploads() {
    return files.all().stream().filter(f -> {
      synchronized (f) {
        return f.staged != null || f.committing != null;
      }
    }).map(f -> f.key + " " + f.progress()).toList();
  }

  /** Commits now the closed files whose commit the write-back delay holds; returns how many. */
  public int commitDelayed() {
    return files.commitDelayed();
  }

  /** The mount ended: stops the write-back timer (sessions it still held resume at the next mount). */
  public void close() {
    files.close();
  }

  Options options() {
    return opts;
  }

  StreamingManager engine() {
    return engine;
  }

  ObjectReader reader() {
    return reader;
  }

  LiveFile live(String key) {
    return files.get(key);
  }

  OpenFiles files() {
    return files;
  }

  /**
   * After a restart: shows an upload the engine resumed (the file was closed before the crash) as a file
   * of {@code size} bytes whose status is uploading, until {@code upload} completes. Without this the file
   * would be missing from the mount until then.
   */
  public void adoptResumed(String key, long size, Map<String, String> meta, CompletableFuture<ObjectInfo> upload,
      java.util.function.LongSupplier uploaded) {
    files.adoptResumed(key, size, meta, upload, uploaded);
  }

  Lookup lookup() {
    return lookup;
  }
}

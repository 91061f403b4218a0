package org.streamfs.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
  public record Options(long uid, long gid, long attrTtlMillis, int readAheadChunks, String stateDir) {}

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
  private final long startSec = Instant.now().getEpochSecond();

  public StreamFs(StreamingManager engine, Namespace ns, Staging staging, ObjectReader reader, Options opts) {
    this.engine = engine;
    this.ns = ns;
    this.staging = staging;
    this.reader = reader;
    this.opts = opts;
    this.lookup = new Lookup(ns, opts.uid(), opts.gid(), opts.attrTtlMillis());
    this.files = new OpenFiles(engine, ns, staging, reader, lookup, opts.readAheadChunks());
    this.dirRename = new DirRename(ns, files, engine.catalog().table(DirRename.TABLE));
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
      return new Attr(Attr.S_IFDIR | 0755, opts.uid(), opts.gid(), 0, startSec, 0);
    }
    LiveFile f = files.get(key);
    if (f != null) {
      return f.attr(opts.uid(), opts.gid());
    }
    checkedKey(path);
    return lookup.get(key).attr();
  }

  private Optional<Attr> find(String key) throws IOException {
    if (key.isEmpty()) {
      return Optional.of(getattr("/"));
    }
    LiveFile f = files.get(key);
    if (f != null) {
      return Optional.of(f.attr(opts.uid(), opts.gid()));
    }
    return lookup.find(key).map(Lookup.Entry::attr);
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
    parentDir(path, key);
    long fh = files.create(key, Meta.create(Attr.S_IFREG | (mode & 07777), uid, gid));
    lookup.invalidate(key);
    return fh;
  }

  public long open(String path, int flags) throws IOException {
    String key = key(path);
    boolean write = (flags & O_ACCMODE) != O_RDONLY;
    if (files.get(key) == null && getattr(path).isDirectory() && write) {
      throw FsException.of(Errno.EISDIR, path, "is a directory");
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

  public void truncate(String path, long size) throws IOException {
    checkSize(size);
    Attr a = getattr(path);
    if (a.isDirectory()) {
      throw FsException.of(Errno.EISDIR, path, "is a directory");
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
    String key = checkedKey(path);
    parentDir(path, key);
    if (find(key).isPresent()) {
      throw FsException.of(Errno.EEXIST, path, "exists");
    }
    ObjectInfo marker = ns.put(key + "/", new byte[0], Meta.create(Attr.S_IFDIR | (mode & 07777), uid, gid));
    lookup.remember(key, marker);
  }

  public void rmdir(String path) throws IOException {
    String key = key(path);
    if (key.isEmpty()) {
      throw FsException.of(Errno.EBUSY, path, "is the mount root");
    }
    if (!getattr(path).isDirectory()) {
      throw FsException.of(Errno.ENOTDIR, path, "not a directory");
    }
    if (lookup.hasChildren(key) || !files.namesIn(key).isEmpty()) {
      throw FsException.of(Errno.ENOTEMPTY, path, "directory not empty");
    }
    ns.delete(key + "/");
    lookup.invalidate(key);
    keepParent(key);
  }

  public void unlink(String path) throws IOException {
    String key = key(path);
    Attr a = getattr(path);
    if (a.isDirectory()) {
      throw FsException.of(Errno.EISDIR, path, "is a directory");
    }
    files.unlinked(key);
    ns.delete(key);
    lookup.invalidate(key);
    keepParent(key);
  }

  public void symlink(String target, String path, long uid, long gid) throws IOException {
    String key = checkedKey(path);
    parentDir(path, key);
    if (find(key).isPresent()) {
      throw FsException.of(Errno.EEXIST, path, "exists");
    }
    ObjectInfo o = ns.put(key, target.getBytes(StandardCharsets.UTF_8),
        Meta.create(Attr.S_IFLNK | 0777, uid, gid));
    lookup.remember(key, o);
  }

  public String readlink(String path) throws IOException {
    String key = key(path);
    if (!getattr(path).isSymlink()) {
      throw FsException.of(Errno.EINVAL, path, "not a symbolic link");
    }
    return new String(ns.readSmall(key), StandardCharsets.UTF_8);
  }

  public void rename(String from, String to) throws IOException {
    String src = key(from);
    String dst = checkedKey(to);
    if (src.isEmpty()) {
      throw FsException.of(Errno.EBUSY, from, "is the mount root");
    }
    if (src.equals(dst)) {
      return;
    }
    if (dst.startsWith(src + "/")) {
      throw FsException.of(Errno.EINVAL, to, "is inside " + from);
    }
    Attr a = getattr(from);
    parentDir(to, dst);
    Optional<Attr> existing = find(dst);
    if (existing.isPresent()) {
      Attr d = existing.get();
      if (a.isDirectory() && !d.isDirectory()) {
        throw FsException.of(Errno.ENOTDIR, to, "not a directory");
      }
      if (!a.isDirectory() && d.isDirectory()) {
        throw FsException.of(Errno.EISDIR, to, "is a directory");
      }
      // the same rename, cut short by a store error and asked for again, goes on where it stopped
      if (d.isDirectory() && (lookup.hasChildren(dst) || !files.namesIn(dst).isEmpty())
          && !(a.isDirectory() && dirRename.pending(src, dst))) {
        throw FsException.of(Errno.ENOTEMPTY, to, "directory not empty");
      }
    }
    if (a.isDirectory()) {
      dirRename.run(src, dst);
      lookup.invalidateAll();
    } else {
      LiveFile f = files.get(src);
      if (f != null) {
        files.settle(f);
      }
      LiveFile g = files.get(dst);
      if (g != null) {
        files.settle(g);
      }
      ObjectInfo moved = ns.rename(src, dst);
      if (existing.isPresent() && existing.get().isDirectory()) {
        ns.delete(dst + "/");
      }
      files.rekey(src, dst, moved);
      lookup.invalidate(src);
      lookup.remember(dst, moved);
    }
    keepParent(src);
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

  /** Sets the modification time (utimens; atime is not kept). */
  public void setMtime(String path, long sec, long nanos) throws IOException {
    updateMeta(path, m -> {
      m.put(Meta.MTIME, Meta.formatTime(sec, nanos));
      return m;
    });
  }

  /**
   * Changes metadata: in memory for a file being written or uploaded (its commit stores it, or it is
   * stored right after the upload), else on the store (a directory's marker is created if only implied).
   */
  void updateMeta(String path, UnaryOperator<Map<String, String>> change) throws IOException {
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
      m = change.apply(Meta.withAttr(m, a));
      ObjectInfo o = marker.isPresent() ? ns.updateMetadata(key + "/", m) : ns.put(key + "/", new byte[0], m);
      lookup.remember(key, o);
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

  static String checkedKey(String path) throws FsException {
    return FsPaths.checkedKey(path);
  }

  // ---- whole mount ----

  /** statfs: the staging disk's size and free space (what bounds writes through the mount). */
  public FsStats statfs() {
    long bs = 4096;
    long total = staging.totalSpace() / bs;
    long free = Math.max(staging.usableSpace(), 0) / bs;
    return new FsStats(bs, Math.max(total, free), free, 1L << 32, 1L << 31, StoreKeys.MAX_SEGMENT_BYTES);
  }

  /** Live files with uploads not yet finished: (key, progress) for sync/umount displays. */
  public List<String> pendingUploads() {
    return files.all().stream().filter(f -> {
      synchronized (f) {
        return f.staged != null || f.committing != null;
      }
    }).map(f -> f.key + " " + f.progress()).toList();
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

  private void parentDir(String path, String key) throws IOException {
    int slash = key.lastIndexOf('/');
    if (slash < 0) {
      return;
    }
    Attr p = find(key.substring(0, slash))
        .orElseThrow(() -> FsException.of(Errno.ENOENT, path, "parent directory does not exist"));
    if (!p.isDirectory()) {
      throw FsException.of(Errno.ENOTDIR, path, "parent is not a directory");
    }
  }

  /** After removing {@code key}: a parent that was only implied by it gets a marker so it stays. */
  private void keepParent(String key) throws IOException {
    int slash = key.lastIndexOf('/');
    if (slash < 0) {
      return;
    }
    String parent = key.substring(0, slash);
    Lookup.Entry e = lookup.find(parent).orElse(null);
    if (e != null && e.object() != null) {
      return;
    }
    if (ns.find(parent + "/").isEmpty()) {
      lookup.remember(parent, ns.put(parent + "/", new byte[0],
          Meta.create(Attr.S_IFDIR | 0755, opts.uid(), opts.gid())));
    }
  }
}

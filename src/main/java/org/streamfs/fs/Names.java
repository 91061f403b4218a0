package org.streamfs.fs;

import java.io.IOException;
import java.util.Optional;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.Namespace;

/**
 * The namespace changes of {@link StreamFs}: mkdir, rmdir, unlink, symlink, mknod, rename, and link
 * (refused). Fifos, sockets and device nodes are empty objects with their type bits in {@code mode} and
 * st_rdev in {@code rdev}, as symlinks carry S_IFLNK (their I/O is the kernel's: the fs never reads or
 * writes them). Every entry has one name: hard links are refused with EPERM (what Linux answers for a file
 * system that does not support them), so st_nlink is 1 for every non-directory. A rename onto an existing
 * name replaces it as rename(2) does (a directory only by an empty directory, ENOTEMPTY otherwise); the
 * moved object keeps its metadata (owner, mode, times), and the caches of both names are dropped.
 */
final class Names {
  private final StreamFs fs;
  private final Namespace ns;
  private final Lookup lookup;
  private final OpenFiles files;
  private final DirRename dirRename;
  private final DirTimes dirTimes;
  private final StreamFs.Options opts;

  Names(StreamFs fs, Namespace ns, Lookup lookup, OpenFiles files, DirRename dirRename, DirTimes dirTimes,
      StreamFs.Options opts) {
    this.fs = fs;
    this.ns = ns;
    this.lookup = lookup;
    this.files = files;
    this.dirRename = dirRename;
    this.dirTimes = dirTimes;
    this.opts = opts;
  }

  void mkdir(String path, int mode, long uid, long gid) throws IOException {
    String key = fresh(path);
    ObjectInfo marker = ns.put(key + "/", new byte[0], Meta.create(Attr.S_IFDIR | (mode & 07777), uid, gid));
    lookup.remember(key, marker);
    dirTimes.touchParentOf(key);
  }

  void rmdir(String path) throws IOException {
    String key = StreamFs.key(path);
    if (key.isEmpty()) {
      throw FsException.of(Errno.EBUSY, path, "is the mount root");
    }
    if (!fs.getattr(path).isDirectory()) {
      throw FsException.of(Errno.ENOTDIR, path, "not a directory");
    }
    if (lookup.hasChildren(key) || !files.namesIn(key).isEmpty()) {
      throw FsException.of(Errno.ENOTEMPTY, path, "directory not empty");
    }
    ns.delete(key + "/");
    lookup.invalidate(key);
    dirTimes.forget(key);
    dirTimes.touchParentOf(key);
    keepParent(key);
  }

  void unlink(String path) throws IOException {
    String key = StreamFs.key(path);
    if (fs.getattr(path).isDirectory()) {
      throw FsException.of(Errno.EISDIR, path, "is a directory");
    }
    files.unlinked(key);
    ns.delete(key);
    lookup.invalidate(key);
    dirTimes.touchParentOf(key);
    keepParent(key);
  }

  /**
   * The object holds the target's bytes: {@code target} is in the form of {@link NameBytes} (as every name
   * the bindings pass), so a target that is not UTF-8 is stored and read back byte for byte.
   */
  void symlink(String target, String path, long uid, long gid) throws IOException {
    String key = fresh(path);
    ObjectInfo o = ns.put(key, NameBytes.toBytes(target),
        Meta.create(Attr.S_IFLNK | 0777, uid, gid));
    lookup.remember(key, o);
    dirTimes.touchParentOf(key);
  }

  String readlink(String path) throws IOException {
    if (!fs.getattr(path).isSymlink()) {
      throw FsException.of(Errno.EINVAL, path, "not a symbolic link");
    }
    return NameBytes.fromBytes(ns.readSmall(StreamFs.key(path)));
  }

  /**
   * mknod(2): a fifo, socket, character or block device (rdev kept), or an empty regular file (type 0 is
   * S_IFREG). Directories and symlinks have their own calls (EINVAL here, as the kernel says for other
   * types); an existing name is EEXIST.
   */
  void mknod(String path, int mode, long rdev, long uid, long gid) throws IOException {
    int type = (mode & Attr.S_IFMT) == 0 ? Attr.S_IFREG : mode & Attr.S_IFMT;
    if (type != Attr.S_IFREG && !Attr.isSpecialType(type)) {
      throw FsException.of(Errno.EINVAL, path, "mknod creates only files, fifos, sockets and devices");
    }
    String key = fresh(path);
    var meta = Meta.create(type | (mode & 07777), uid, gid);
    if (type == Attr.S_IFCHR || type == Attr.S_IFBLK) {
      meta.put(Meta.RDEV, Long.toString(rdev));
    }
    lookup.remember(key, ns.put(key, new byte[0], meta));
    dirTimes.touchParentOf(key);
  }

  /** link(2): refused, every entry has one name. */
  void link(String from, String to) throws IOException {
    fs.getattr(from);
    throw FsException.of(Errno.EPERM, to, "hard links are not supported");
  }

  void rename(String from, String to) throws IOException {
    String src = StreamFs.key(from);
    String dst = fs.checkedKey(to);
    if (src.isEmpty()) {
      throw FsException.of(Errno.EBUSY, from, "is the mount root");
    }
    if (src.equals(dst)) {
      return;
    }
    if (dst.startsWith(src + "/")) {
      throw FsException.of(Errno.EINVAL, to, "is inside " + from);
    }
    Attr a = fs.getattr(from);
    parentDir(to, dst);
    Optional<Attr> existing = fs.find(dst);
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
      dirTimes.moved(src, dst);
    } else {
      LiveFile f = files.get(src);
      if (f != null) {
        files.settle(f);
      }
      LiveFile g = files.get(dst);
      if (g != null) {
        // the replaced file goes: its session (if any) is dropped, its upload waited for
        files.unlinked(dst);
      }
      ObjectInfo moved = ns.rename(src, dst);
      files.rekey(src, dst, moved);
      lookup.invalidate(src);
      lookup.remember(dst, moved);
    }
    dirTimes.touchParentOf(src);
    dirTimes.touchParentOf(dst);
    keepParent(src);
  }

  /** The key of a name about to be created: its parent must be a directory and the name must be free. */
  private String fresh(String path) throws IOException {
    String key = fs.checkedKey(path);
    parentDir(path, key);
    if (fs.find(key).isPresent()) {
      throw FsException.of(Errno.EEXIST, path, "exists");
    }
    return key;
  }

  void parentDir(String path, String key) throws IOException {
    int slash = key.lastIndexOf('/');
    if (slash < 0) {
      return;
    }
    Attr p = fs.find(key.substring(0, slash))
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

package org.streamfs.fs;

/**
 * The POSIX attributes the fs reports for one path: st_mode (type bits included), owner, size and
 * modification time (also used for atime and ctime: the store keeps only one time per object).
 */
public record Attr(int mode, long uid, long gid, long size, long mtimeSec, int mtimeNanos) {
  public static final int S_IFMT = 0170000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFLNK = 0120000;

  public boolean isDirectory() {
    return (mode & S_IFMT) == S_IFDIR;
  }

  public boolean isSymlink() {
    return (mode & S_IFMT) == S_IFLNK;
  }

  public boolean isRegular() {
    return (mode & S_IFMT) == S_IFREG;
  }

  public int nlink() {
    return isDirectory() ? 2 : 1;
  }

  public Attr withSize(long s) {
    return new Attr(mode, uid, gid, s, mtimeSec, mtimeNanos);
  }
}

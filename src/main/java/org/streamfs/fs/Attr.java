package org.streamfs.fs;

/**
 * The POSIX attributes the fs reports for one path: st_mode (type bits included), owner, size, the three
 * times (modification, access and status change, each seconds and nanoseconds), st_rdev for device nodes
 * and st_ino (0: let libfuse number it). Objects written before atime and ctime were kept, or by other
 * tools, show their modification time for all three.
 */
public record Attr(int mode, long uid, long gid, long size, long mtimeSec, int mtimeNanos, long atimeSec,
    int atimeNanos, long ctimeSec, int ctimeNanos, long rdev, long ino) {
  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;

  /** Attributes whose three times are all {@code mtime}, not a device. */
  public Attr(int mode, long uid, long gid, long size, long mtimeSec, int mtimeNanos) {
    this(mode, uid, gid, size, mtimeSec, mtimeNanos, mtimeSec, mtimeNanos, mtimeSec, mtimeNanos, 0, 0);
  }

  public boolean isDirectory() {
    return (mode & S_IFMT) == S_IFDIR;
  }

  public boolean isSymlink() {
    return (mode & S_IFMT) == S_IFLNK;
  }

  public boolean isRegular() {
    return (mode & S_IFMT) == S_IFREG;
  }

  /** A fifo, socket or device node: an empty object whose I/O the kernel handles, never the fs. */
  public boolean isSpecial() {
    return isSpecialType(mode);
  }

  static boolean isSpecialType(int mode) {
    int t = mode & S_IFMT;
    return t == S_IFIFO || t == S_IFSOCK || t == S_IFCHR || t == S_IFBLK;
  }

  /** Always 1 for a non-directory: hard links are refused, so no file has a second name. */
  public int nlink() {
    return isDirectory() ? 2 : 1;
  }

  public Attr withSize(long s) {
    return new Attr(mode, uid, gid, s, mtimeSec, mtimeNanos, atimeSec, atimeNanos, ctimeSec, ctimeNanos, rdev,
        ino);
  }
}

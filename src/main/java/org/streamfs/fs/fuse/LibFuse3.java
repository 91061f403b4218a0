package org.streamfs.fs.fuse;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.Encoding;
import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;

/**
 * The few libfuse3 (3.x, high-level API) entry points streamfs calls, the callback shapes of {@code struct
 * fuse_operations} it fills, and the byte offsets of the C structures it reads and writes. jnr-fuse covers
 * only libfuse2; libfuse3 is what lets the kernel send 1 MiB writes and reads (max_pages) instead of 128
 * KiB, and asks readdir for attributes (readdirplus) so {@code ls -l} needs no lookup per entry.
 *
 * <p>The offsets are those of Linux x86_64 with 64-bit off_t (checked against libfuse 3.14's headers with
 * offsetof); {@link #usable()} refuses other architectures, where the libfuse2 binding is used.
 */
public interface LibFuse3 {
  String SONAME = "libfuse3.so.3";

  int fuse_main_real(int argc, @In String[] argv, Pointer ops, @size_t long opsSize, Pointer userData);

  Pointer fuse_get_context();

  /** Number of function pointers in libfuse 3.14's struct fuse_operations (getattr .. lseek). */
  int OPS_COUNT = 42;
  int OP_GETATTR = 0;
  int OP_READLINK = 1;
  int OP_MKNOD = 2;
  int OP_MKDIR = 3;
  int OP_UNLINK = 4;
  int OP_RMDIR = 5;
  int OP_SYMLINK = 6;
  int OP_RENAME = 7;
  int OP_LINK = 8;
  int OP_CHMOD = 9;
  int OP_CHOWN = 10;
  int OP_TRUNCATE = 11;
  int OP_OPEN = 12;
  int OP_READ = 13;
  int OP_WRITE = 14;
  int OP_STATFS = 15;
  int OP_FLUSH = 16;
  int OP_RELEASE = 17;
  int OP_FSYNC = 18;
  int OP_SETXATTR = 19;
  int OP_GETXATTR = 20;
  int OP_LISTXATTR = 21;
  int OP_REMOVEXATTR = 22;
  int OP_READDIR = 24;
  int OP_INIT = 27;
  int OP_ACCESS = 29;
  int OP_CREATE = 30;
  int OP_UTIMENS = 32;
  int OP_FALLOCATE = 39;

  /** struct fuse_file_info. */
  int FI_FLAGS = 0;
  /** The bit-field word after flags: writepage (bit 0), direct_io (1), keep_cache (2), ... */
  int FI_BITS = 4;
  int FI_KEEP_CACHE = 1 << 2;
  int FI_FH = 16;

  /** struct fuse_context. */
  int CTX_UID = 8;
  int CTX_GID = 12;

  /** struct fuse_config (high-level options, handed to init): use_ino. */
  int CFG_USE_INO = 64;

  /** struct fuse_conn_info. */
  int CONN_CAPABLE = 20;
  int CONN_WANT = 24;
  int CAP_WRITEBACK_CACHE = 1 << 16;

  /** struct stat (x86_64). */
  int STAT_SIZE = 144;
  int ST_INO = 8;
  int ST_NLINK = 16;
  int ST_MODE = 24;
  int ST_UID = 28;
  int ST_GID = 32;
  int ST_RDEV = 40;
  int ST_SIZE = 48;
  int ST_BLKSIZE = 56;
  int ST_BLOCKS = 64;
  int ST_ATIM = 72;
  int ST_MTIM = 88;
  int ST_CTIM = 104;

  /** struct statvfs (x86_64). */
  int SV_BSIZE = 0;
  int SV_FRSIZE = 8;
  int SV_BLOCKS = 16;
  int SV_BFREE = 24;
  int SV_BAVAIL = 32;
  int SV_FILES = 40;
  int SV_FFREE = 48;
  int SV_FAVAIL = 56;
  int SV_NAMEMAX = 80;

  /** enum fuse_readdir_flags / fuse_fill_dir_flags. */
  int READDIR_PLUS = 1;
  int FILL_DIR_PLUS = 2;

  /** rename flags (linux/fs.h). */
  int RENAME_NOREPLACE = 1;

  /**
   * st_blksize reported for every entry: the largest request the kernel sends us (1 MiB). Tools size their
   * buffers by it (coreutils' cp and cat use max(128 KiB, st_blksize)), so this turns a `cp` into 1 MiB
   * writes instead of 128 KiB ones: an eighth of the round trips.
   */
  int IO_SIZE = 1 << 20;

  /** Encodes {@code a} into a zeroed struct stat (x86_64 layout). */
  static void putStat(Pointer st, org.streamfs.fs.Attr a) {
    st.putLong(ST_INO, a.ino());
    st.putLong(ST_NLINK, a.nlink());
    st.putInt(ST_MODE, a.mode());
    st.putInt(ST_UID, (int) a.uid());
    st.putInt(ST_GID, (int) a.gid());
    st.putLong(ST_RDEV, a.rdev());
    st.putLong(ST_SIZE, a.size());
    st.putLong(ST_BLKSIZE, IO_SIZE);
    st.putLong(ST_BLOCKS, (a.size() + 511) / 512);
    st.putLong(ST_ATIM, a.atimeSec());
    st.putLong(ST_ATIM + 8, a.atimeNanos());
    st.putLong(ST_MTIM, a.mtimeSec());
    st.putLong(ST_MTIM + 8, a.mtimeNanos());
    st.putLong(ST_CTIM, a.ctimeSec());
    st.putLong(ST_CTIM + 8, a.ctimeNanos());
  }

  /** Encodes {@code s} into a struct statvfs (x86_64 layout). */
  static void putStatvfs(Pointer st, org.streamfs.fs.StreamFs.FsStats s) {
    st.putLong(SV_BSIZE, s.blockSize());
    st.putLong(SV_FRSIZE, s.blockSize());
    st.putLong(SV_BLOCKS, s.blocks());
    st.putLong(SV_BFREE, s.blocksFree());
    st.putLong(SV_BAVAIL, s.blocksFree());
    st.putLong(SV_FILES, s.files());
    st.putLong(SV_FFREE, s.filesFree());
    st.putLong(SV_FAVAIL, s.filesFree());
    st.putLong(SV_NAMEMAX, s.nameMax());
  }

  /** Loads libfuse3, or returns null with the reason in {@code why[0]}. */
  static LibFuse3 load(String[] why) {
    String problem = usable();
    if (problem != null) {
      why[0] = problem;
      return null;
    }
    try {
      return LibraryLoader.create(LibFuse3.class).failImmediately().load(SONAME);
    } catch (LinkageError | RuntimeException e) {
      why[0] = SONAME + " could not be loaded: " + e.getMessage();
      return null;
    }
  }

  /** Why this binding cannot be used here (architecture or library missing), or null. */
  static String usable() {
    String arch = System.getProperty("os.arch");
    if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
      return "the libfuse3 binding knows only x86_64 structure layouts (this is " + arch + ")";
    }
    return FuseMount.installed(SONAME) ? null : SONAME + " not found: install the fuse3 package";
  }

  // ---- callback shapes (one per signature in struct fuse_operations) ----

  interface PathFi {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, Pointer fi);
  }

  interface PathStatFi {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, Pointer stat, Pointer fi);
  }

  interface PathBufSize {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, Pointer buf, long size);
  }

  interface Mknod {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int mode, long rdev);
  }

  interface PathMode {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int mode);
  }

  interface Path1 {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path);
  }

  interface Path2 {
    @Delegate
    int call(@Encoding("ISO-8859-1") String from, @Encoding("ISO-8859-1") String to);
  }

  interface Rename {
    @Delegate
    int call(@Encoding("ISO-8859-1") String from, @Encoding("ISO-8859-1") String to, int flags);
  }

  interface ModeFi {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int mode, Pointer fi);
  }

  interface Chown {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int uid, int gid, Pointer fi);
  }

  interface Truncate {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, long size, Pointer fi);
  }

  interface Fallocate {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int mode, long offset, long length, Pointer fi);
  }

  interface ReadWrite {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, Pointer buf, long size, long offset, Pointer fi);
  }

  interface PathPtr {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, Pointer p);
  }

  interface Fsync {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int datasync, Pointer fi);
  }

  interface SetXattr {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, @Encoding("ISO-8859-1") String name, Pointer value, long size, int flags);
  }

  interface GetXattr {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, @Encoding("ISO-8859-1") String name, Pointer value, long size);
  }

  interface Readdir {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, Pointer buf, Pointer filler, long offset, Pointer fi, int flags);
  }

  interface Init {
    @Delegate
    Pointer call(Pointer conn, Pointer cfg);
  }

  interface Access {
    @Delegate
    int call(@Encoding("ISO-8859-1") String path, int mask);
  }
}

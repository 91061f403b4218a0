package org.streamfs.fs.fuse;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.fs.Errno;
import org.streamfs.fs.FsException;
import org.streamfs.fs.NameBytes;
import org.streamfs.fs.StreamFs;

/**
 * The libfuse3 binding (high-level API, {@code fuse_main_real}): the same decoding as {@link StreamFuse}
 * for libfuse 3's callback signatures, written straight over jnr-ffi closures since jnr-fuse speaks only
 * libfuse2. What it buys: the kernel sends writes and reads of up to 1 MiB (libfuse3 negotiates max_pages;
 * libfuse2 stops at 128 KiB), so a 1 GiB cp makes 1,024 round trips instead of 8,192; readdir answers with
 * attributes (readdirplus), so the kernel can skip a lookup per entry of {@code ls -l}; and, with
 * {@code -o writeback}, the kernel's writeback cache. Every callback runs inside {@link FuseCall#run}, as
 * in the libfuse2 binding; the encodings both bindings share are in {@link FuseReplies}.
 */
final class StreamFuse3 {
  private static final Logger LOG = LoggerFactory.getLogger(StreamFuse3.class);
  private static final int O_TRUNC = 01000;

  private final StreamFs fs;
  private final LibFuse3 lib;
  private final boolean xattrs;
  private final boolean writeback;
  private final Runtime runtime = Runtime.getSystemRuntime();
  /** The closures must stay reachable for as long as libfuse may call them. */
  private final List<Object> keep = new ArrayList<>();

  StreamFuse3(StreamFs fs, LibFuse3 lib, boolean xattrs, boolean writeback) {
    this.fs = fs;
    this.lib = lib;
    this.xattrs = xattrs;
    this.writeback = writeback;
  }

  /** Mounts with {@code args} (libfuse3 command line, mount point last) and serves until unmounted. */
  void run(String[] args) {
    Pointer ops = operations();
    String[] argv = new String[args.length + 1];
    argv[0] = "streamfs";
    System.arraycopy(args, 0, argv, 1, args.length);
    int rc = lib.fuse_main_real(argv.length, argv, ops, (long) LibFuse3.OPS_COUNT * Long.BYTES, null);
    if (rc != 0) {
      throw new IllegalStateException("libfuse3 refused or ended the mount (status " + rc + "; its message,"
          + " e.g. an unknown -o option, is on the daemon's standard error, which daemon.log keeps)");
    }
  }

  private <T> void put(Pointer ops, int index, Class<T> shape, T callback) {
    keep.add(callback);
    Pointer p = runtime.getClosureManager().getClosurePointer(shape, callback);
    keep.add(p);
    ops.putPointer((long) index * Long.BYTES, p);
  }

  private Pointer operations() {
    Pointer ops = Memory.allocateDirect(runtime, LibFuse3.OPS_COUNT * Long.BYTES, true);
    keep.add(ops);
    put(ops, LibFuse3.OP_INIT, LibFuse3.Init.class, this::init);
    put(ops, LibFuse3.OP_GETATTR, LibFuse3.PathStatFi.class, this::getattr);
    put(ops, LibFuse3.OP_ACCESS, LibFuse3.Access.class, this::access);
    put(ops, LibFuse3.OP_READLINK, LibFuse3.PathBufSize.class, this::readlink);
    put(ops, LibFuse3.OP_MKNOD, LibFuse3.Mknod.class, this::mknod);
    put(ops, LibFuse3.OP_MKDIR, LibFuse3.PathMode.class, this::mkdir);
    put(ops, LibFuse3.OP_UNLINK, LibFuse3.Path1.class, this::unlink);
    put(ops, LibFuse3.OP_RMDIR, LibFuse3.Path1.class, this::rmdir);
    put(ops, LibFuse3.OP_SYMLINK, LibFuse3.Path2.class, this::symlink);
    put(ops, LibFuse3.OP_RENAME, LibFuse3.Rename.class, this::rename);
    put(ops, LibFuse3.OP_LINK, LibFuse3.Path2.class, this::link);
    put(ops, LibFuse3.OP_CHMOD, LibFuse3.ModeFi.class, this::chmod);
    put(ops, LibFuse3.OP_CHOWN, LibFuse3.Chown.class, this::chown);
    put(ops, LibFuse3.OP_TRUNCATE, LibFuse3.Truncate.class, this::truncate);
    put(ops, LibFuse3.OP_OPEN, LibFuse3.PathFi.class, this::open);
    put(ops, LibFuse3.OP_CREATE, LibFuse3.ModeFi.class, this::create);
    put(ops, LibFuse3.OP_READ, LibFuse3.ReadWrite.class, this::read);
    put(ops, LibFuse3.OP_WRITE, LibFuse3.ReadWrite.class, this::write);
    put(ops, LibFuse3.OP_FALLOCATE, LibFuse3.Fallocate.class, this::fallocate);
    put(ops, LibFuse3.OP_STATFS, LibFuse3.PathPtr.class, this::statfs);
    put(ops, LibFuse3.OP_FLUSH, LibFuse3.PathFi.class, this::flush);
    put(ops, LibFuse3.OP_RELEASE, LibFuse3.PathFi.class, this::release);
    put(ops, LibFuse3.OP_FSYNC, LibFuse3.Fsync.class, this::fsync);
    put(ops, LibFuse3.OP_READDIR, LibFuse3.Readdir.class, this::readdir);
    put(ops, LibFuse3.OP_UTIMENS, LibFuse3.PathStatFi.class, this::utimens);
    if (xattrs) { // left NULL, libfuse answers ENOSYS and the kernel stops asking (-o noxattr)
      put(ops, LibFuse3.OP_SETXATTR, LibFuse3.SetXattr.class, this::setxattr);
      put(ops, LibFuse3.OP_GETXATTR, LibFuse3.GetXattr.class, this::getxattr);
      put(ops, LibFuse3.OP_LISTXATTR, LibFuse3.PathBufSize.class, this::listxattr);
      put(ops, LibFuse3.OP_REMOVEXATTR, LibFuse3.Path2.class, this::removexattr);
    }
    return ops;
  }

  private static boolean present(Pointer p) {
    return p != null && p.address() != 0;
  }

  private static long fh(Pointer fi) {
    return fi.getLong(LibFuse3.FI_FH);
  }

  private static ByteBuffer direct(Pointer buf, long size) {
    return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
  }

  private long[] caller() {
    Pointer ctx = lib.fuse_get_context();
    return new long[] {Integer.toUnsignedLong(ctx.getInt(LibFuse3.CTX_UID)),
        Integer.toUnsignedLong(ctx.getInt(LibFuse3.CTX_GID))};
  }

  private Pointer init(Pointer conn, Pointer cfg) {
    cfg.putInt(LibFuse3.CFG_USE_INO, 1); // st_ino from getattr: the entry's own, kept across renames
    if (writeback && (conn.getInt(LibFuse3.CONN_CAPABLE) & LibFuse3.CAP_WRITEBACK_CACHE) != 0) {
      conn.putInt(LibFuse3.CONN_WANT, conn.getInt(LibFuse3.CONN_WANT) | LibFuse3.CAP_WRITEBACK_CACHE);
    }
    return null;
  }

  private int getattr(String pathRaw, Pointer stat, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("getattr", path, () -> {
      LibFuse3.putStat(stat, fs.getattr(path));
      return 0;
    });
  }

  private int access(String pathRaw, int mask) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("access", path, () -> {
      fs.getattr(path);
      return 0;
    });
  }

  /** int fuse_fill_dir_t(void *buf, const char *name, const struct stat *st, off_t off, int flags). */
  private static final CallContext FILL_DIR = CallContext.getCallContext(Type.SINT32, new Type[] {Type.POINTER,
      Type.POINTER, Type.POINTER, Type.SINT64, Type.SINT32}, CallingConvention.DEFAULT, false);

  private int readdir(String pathRaw, Pointer buf, Pointer filler, long offset, Pointer fi, int flags) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("readdir", path, () -> {
      List<String> names = fs.readdir(path);
      boolean plus = (flags & LibFuse3.READDIR_PLUS) != 0;
      // one native block: the stat (readdirplus) then the NUL-terminated name
      Pointer mem = Memory.allocateDirect(runtime, LibFuse3.STAT_SIZE + 1024, true);
      long st = mem.address();
      long name = st + LibFuse3.STAT_SIZE;
      Invoker inv = Invoker.getInstance();
      long fn = filler.address();
      mem.putString(LibFuse3.STAT_SIZE, ".", 2, StandardCharsets.UTF_8);
      inv.invokeN5(FILL_DIR, fn, buf.address(), name, 0, 0, 0);
      mem.putString(LibFuse3.STAT_SIZE, "..", 3, StandardCharsets.UTF_8);
      inv.invokeN5(FILL_DIR, fn, buf.address(), name, 0, 0, 0);
      String base = path.endsWith("/") ? path : path + "/";
      for (String n : names) {
        if (!NameBytes.canonical(n)) {
          continue; // a key another client wrote with escapes of bytes another name shares (see NameBytes)
        }
        byte[] b = FuseNames.bytes(n);
        if (b.length > 1000) {
          continue; // cannot be a name the fs accepted (255 bytes at most)
        }
        mem.put(LibFuse3.STAT_SIZE, b, 0, b.length);
        mem.putByte(LibFuse3.STAT_SIZE + b.length, (byte) 0);
        boolean withAttr = plus && attrInto(mem, base + n);
        int full = (int) inv.invokeN5(FILL_DIR, fn, buf.address(), name, withAttr ? st : 0, 0,
            withAttr ? LibFuse3.FILL_DIR_PLUS : 0);
        if (full != 0) {
          break;
        }
      }
      return 0;
    });
  }

  /** Fills {@code st} for readdirplus; false if the entry vanished meanwhile (then it is listed bare). */
  private boolean attrInto(Pointer st, String path) {
    try {
      st.setMemory(0, LibFuse3.STAT_SIZE, (byte) 0);
      LibFuse3.putStat(st, fs.getattr(path));
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private int mkdir(String pathRaw, int mode) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("mkdir", path, () -> {
      long[] c = caller();
      fs.mkdir(path, mode, c[0], c[1]);
      return 0;
    });
  }

  private int mknod(String pathRaw, int mode, long rdev) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("mknod", path, () -> {
      long[] c = caller();
      fs.mknod(path, mode, rdev, c[0], c[1]);
      return 0;
    });
  }

  private int link(String fromRaw, String toRaw) {
    String from = FuseNames.path(fromRaw);
    String to = FuseNames.path(toRaw);
    return FuseCall.run("link", from + " -> " + to, () -> {
      fs.link(from, to);
      return 0;
    });
  }

  private int rmdir(String pathRaw) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("rmdir", path, () -> {
      fs.rmdir(path);
      return 0;
    });
  }

  private int unlink(String pathRaw) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("unlink", path, () -> {
      fs.unlink(path);
      return 0;
    });
  }

  private int rename(String fromRaw, String toRaw, int flags) {
    String from = FuseNames.path(fromRaw);
    String to = FuseNames.path(toRaw);
    return FuseCall.run("rename", from + " -> " + to, () -> {
      if ((flags & ~LibFuse3.RENAME_NOREPLACE) != 0) {
        return -Errno.EINVAL; // RENAME_EXCHANGE / WHITEOUT: callers fall back to a plain rename
      }
      if ((flags & LibFuse3.RENAME_NOREPLACE) != 0 && exists(to)) {
        return -Errno.EEXIST;
      }
      fs.rename(from, to);
      return 0;
    });
  }

  private boolean exists(String path) throws Exception {
    try {
      fs.getattr(path);
      return true;
    } catch (FsException e) {
      if (e.errno() == Errno.ENOENT) {
        return false;
      }
      throw e;
    }
  }

  private int symlink(String targetRaw, String linkpathRaw) {
    String target = FuseNames.path(targetRaw);
    String linkpath = FuseNames.path(linkpathRaw);
    return FuseCall.run("symlink", linkpath, () -> {
      long[] c = caller();
      fs.symlink(target, linkpath, c[0], c[1]);
      return 0;
    });
  }

  private int readlink(String pathRaw, Pointer buf, long size) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("readlink", path, () -> FuseReplies.link(FuseNames.bytes(fs.readlink(path)), buf, size));
  }

  private int chmod(String pathRaw, int mode, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("chmod", path, () -> {
      fs.chmod(path, mode);
      return 0;
    });
  }

  private int chown(String pathRaw, int uid, int gid, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("chown", path, () -> {
      fs.chown(path, Integer.toUnsignedLong(uid), Integer.toUnsignedLong(gid));
      return 0;
    });
  }

  private int utimens(String pathRaw, Pointer tv, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("utimens", path, () -> present(tv)
        ? FuseReplies.times(fs, path, tv.getLong(0), tv.getLong(8), tv.getLong(16), tv.getLong(24))
        : FuseReplies.times(fs, path, 0, FuseReplies.nowNanos(), 0, FuseReplies.nowNanos()));
  }

  private int fallocate(String pathRaw, int mode, long offset, long length, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("fallocate", path, () -> {
      fs.fallocate(fh(fi), mode, offset, length);
      return 0;
    });
  }

  private int truncate(String pathRaw, long size, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("truncate", path, () -> {
      if (present(fi)) {
        fs.ftruncate(fh(fi), size);
      } else {
        fs.truncate(path, size);
      }
      return 0;
    });
  }

  private int create(String pathRaw, int mode, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("create", path, () -> {
      long[] c = caller();
      fi.putLong(LibFuse3.FI_FH, fs.create(path, mode, c[0], c[1]));
      return 0;
    });
  }

  private int open(String pathRaw, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("open", path, () -> {
      int flags = fi.getInt(LibFuse3.FI_FLAGS);
      long fh = fs.open(path, flags);
      // libfuse 3 turns on FUSE_CAP_ATOMIC_O_TRUNC: the kernel no longer truncates with a setattr before
      // the open but passes O_TRUNC here (libfuse 2 never did), so open(O_TRUNC) must empty the file itself
      if ((flags & O_TRUNC) != 0 && (flags & StreamFs.O_ACCMODE) != 0) {
        try {
          fs.ftruncate(fh, 0);
        } catch (Exception e) {
          fs.release(fh);
          throw e;
        }
      }
      fi.putLong(LibFuse3.FI_FH, fh);
      if (fs.keepCache(fh)) {
        fi.putInt(LibFuse3.FI_BITS, fi.getInt(LibFuse3.FI_BITS) | LibFuse3.FI_KEEP_CACHE);
      }
      return 0;
    });
  }

  private int read(String pathRaw, Pointer buf, long size, long offset, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("read", path, () -> fs.read(fh(fi), offset, direct(buf, size)));
  }

  private int write(String pathRaw, Pointer buf, long size, long offset, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    if (LOG.isDebugEnabled()) {
      LOG.debug("write {} {} at {}", path, size, offset);
    }
    return FuseCall.run("write", path, () -> {
      fs.write(fh(fi), offset, direct(buf, size));
      return (int) size;
    });
  }

  private int flush(String pathRaw, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("flush", path, () -> {
      fs.flush(fh(fi));
      return 0;
    });
  }

  private int release(String pathRaw, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("release", path, () -> {
      fs.release(fh(fi));
      return 0;
    });
  }

  private int fsync(String pathRaw, int datasync, Pointer fi) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("fsync", path, () -> {
      fs.fsync(fh(fi));
      return 0;
    });
  }

  private int statfs(String pathRaw, Pointer st) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("statfs", path, () -> {
      LibFuse3.putStatvfs(st, fs.statfs());
      return 0;
    });
  }

  private int getxattr(String pathRaw, String name, Pointer value, long size) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("getxattr", path, () -> FuseReplies.xattr(fs.getxattr(path, FuseNames.xattrName(name)), value, size));
  }

  private int listxattr(String pathRaw, Pointer list, long size) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("listxattr", path,
        () -> FuseReplies.xattr(FuseReplies.names(fs.listxattr(path)), list, size));
  }

  private int setxattr(String pathRaw, String name, Pointer value, long size, int flags) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("setxattr", path, () -> {
      byte[] v = new byte[(int) size];
      value.get(0, v, 0, v.length);
      fs.setxattr(path, FuseNames.xattrName(name), v, flags);
      return 0;
    });
  }

  private int removexattr(String pathRaw, String name) {
    String path = FuseNames.path(pathRaw);
    return FuseCall.run("removexattr", path, () -> {
      fs.removexattr(path, FuseNames.xattrName(name));
      return 0;
    });
  }
}

package org.streamfs.fs.fuse;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.util.List;
import jnr.ffi.Pointer;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;
import org.streamfs.fs.Attr;
import org.streamfs.fs.Errno;
import org.streamfs.fs.FsException;
import org.streamfs.fs.NameBytes;
import org.streamfs.fs.StreamFs;

/**
 * The jnr-fuse binding: each callback decodes its arguments, calls {@link StreamFs} inside
 * {@link FuseCall#run}, and encodes the result. No POSIX decision is made here. read and write hand the
 * file system libfuse's own request buffer as a direct ByteBuffer (no copy, no per-thread buffers, which
 * with libfuse's multi-threaded loop would be created per call on freshly attached Java threads).
 */
public final class StreamFuse extends FuseStubFS {
  /** libfuse 2.9's struct fuse_file_info on x86_64: flags, fh_old, writepage, then the bit-fields. */
  private static final int FI2_BITS = 20;
  private static final int FI2_KEEP_CACHE = 1 << 1;
  private static final boolean KEEP_CACHE_KNOWN = "amd64".equals(System.getProperty("os.arch"))
      || "x86_64".equals(System.getProperty("os.arch"));

  private final StreamFs fs;
  private final boolean xattrs;

  public StreamFuse(StreamFs fs) {
    this(fs, true);
  }

  /**
   * {@code xattrs} false (mount option {@code -o noxattr}): every xattr call answers ENOSYS, on which the
   * kernel stops sending xattr requests for the life of the mount. {@code ls -l} then costs no
   * {@code security.selinux}/{@code system.posix_acl_access} probes (two round trips per entry), at the
   * price of the {@code user.streamfs.*} status attributes and of stored xattrs.
   */
  public StreamFuse(StreamFs fs, boolean xattrs) {
    this.fs = fs;
    this.xattrs = xattrs;
  }

  /**
   * A path or symlink target as jnr-fuse decoded it (UTF-8, bytes that are not UTF-8 replaced by U+FFFD):
   * the file system's name, or null (EILSEQ) if it holds U+FFFD, which may stand for any byte.
   */
  private static String name(String decoded) {
    try {
      return NameBytes.fromDecoded(decoded);
    } catch (FsException e) {
      org.slf4j.LoggerFactory.getLogger(StreamFuse.class).debug("{}", e.getMessage());
      return null;
    }
  }

  /** An xattr name as jnr-fuse decoded it, or null (EILSEQ) if it was not UTF-8. */
  private static String xattrName(String decoded) {
    return decoded.indexOf('\uFFFD') >= 0 ? null : decoded;
  }

  @Override
  protected String getFSName() {
    return "streamfs";
  }

  /**
   * libfuse's request buffer as a direct ByteBuffer (no copy): file channels then move the bytes between
   * it and the page cache in one kernel copy, where a heap array cost two more copies per request. Valid
   * only during the callback: nothing below keeps it (reads and writes of the fs are synchronous).
   */
  private static ByteBuffer direct(Pointer buf, long size) {
    return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
  }

  private long uid() {
    return getContext().uid.get();
  }

  private long gid() {
    return getContext().gid.get();
  }

  private static void fill(FileStat st, Attr a) {
    st.st_mode.set(a.mode());
    st.st_ino.set(a.ino());
    st.st_nlink.set(a.nlink());
    st.st_uid.set(a.uid());
    st.st_gid.set(a.gid());
    st.st_rdev.set(a.rdev());
    st.st_size.set(a.size());
    st.st_blksize.set(128 << 10); // libfuse2 caps writes at 128 KiB (big_writes)
    st.st_blocks.set((a.size() + 511) / 512);
    st.st_mtim.tv_sec.set(a.mtimeSec());
    st.st_mtim.tv_nsec.set(a.mtimeNanos());
    st.st_atim.tv_sec.set(a.atimeSec());
    st.st_atim.tv_nsec.set(a.atimeNanos());
    st.st_ctim.tv_sec.set(a.ctimeSec());
    st.st_ctim.tv_nsec.set(a.ctimeNanos());
  }

  @Override
  public int getattr(String pathRaw, FileStat stat) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("getattr", path, () -> {
      fill(stat, fs.getattr(path));
      return 0;
    });
  }

  @Override
  public int fgetattr(String pathRaw, FileStat stat, FuseFileInfo fi) {
    return getattr(pathRaw, stat);
  }

  @Override
  public int access(String pathRaw, int mask) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("access", path, () -> {
      fs.getattr(path);
      return 0;
    });
  }

  @Override
  public int readdir(String pathRaw, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("readdir", path, () -> {
      List<String> names = fs.readdir(path);
      filler.apply(buf, ".", null, 0);
      filler.apply(buf, "..", null, 0);
      for (String n : names) {
        if (!NameBytes.canonical(n)) {
          continue; // a key another client wrote with escapes of bytes another name shares (see NameBytes)
        }
        if (filler.apply(buf, ByteBuffer.wrap(FuseNames.bytes(n)), null, 0) != 0) {
          break;
        }
      }
      return 0;
    });
  }

  @Override
  public int mkdir(String pathRaw, @mode_t long mode) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("mkdir", path, () -> {
      fs.mkdir(path, (int) mode, uid(), gid());
      return 0;
    });
  }

  @Override
  public int mknod(String pathRaw, @mode_t long mode, @dev_t long rdev) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("mknod", path, () -> {
      fs.mknod(path, (int) mode, rdev, uid(), gid());
      return 0;
    });
  }

  @Override
  public int link(String oldpathRaw, String newpathRaw) {
    String oldpath = name(oldpathRaw);
    if (oldpath == null) {
      return -Errno.EILSEQ;
    }
    String newpath = name(newpathRaw);
    if (newpath == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("link", oldpath + " -> " + newpath, () -> {
      fs.link(oldpath, newpath);
      return 0;
    });
  }

  @Override
  public int rmdir(String pathRaw) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("rmdir", path, () -> {
      fs.rmdir(path);
      return 0;
    });
  }

  @Override
  public int unlink(String pathRaw) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("unlink", path, () -> {
      fs.unlink(path);
      return 0;
    });
  }

  @Override
  public int rename(String oldpathRaw, String newpathRaw) {
    String oldpath = name(oldpathRaw);
    if (oldpath == null) {
      return -Errno.EILSEQ;
    }
    String newpath = name(newpathRaw);
    if (newpath == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("rename", oldpath + " -> " + newpath, () -> {
      fs.rename(oldpath, newpath);
      return 0;
    });
  }

  @Override
  public int symlink(String targetRaw, String linkpathRaw) {
    String target = name(targetRaw);
    if (target == null) {
      return -Errno.EILSEQ;
    }
    String linkpath = name(linkpathRaw);
    if (linkpath == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("symlink", linkpath, () -> {
      fs.symlink(target, linkpath, uid(), gid());
      return 0;
    });
  }

  @Override
  public int readlink(String pathRaw, Pointer buf, @size_t long size) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("readlink", path, () -> FuseReplies.link(FuseNames.bytes(fs.readlink(path)), buf, size));
  }

  @Override
  public int chmod(String pathRaw, @mode_t long mode) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("chmod", path, () -> {
      fs.chmod(path, (int) mode);
      return 0;
    });
  }

  @Override
  public int chown(String pathRaw, long uid, long gid) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("chown", path, () -> {
      fs.chown(path, uid, gid);
      return 0;
    });
  }

  @Override
  public int utimens(String pathRaw, Timespec[] timespec) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("utimens", path, () -> FuseReplies.times(fs, path, timespec[0].tv_sec.get(),
        timespec[0].tv_nsec.longValue(), timespec[1].tv_sec.get(), timespec[1].tv_nsec.longValue()));
  }

  @Override
  public int truncate(String pathRaw, @off_t long size) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("truncate", path, () -> {
      fs.truncate(path, size);
      return 0;
    });
  }

  @Override
  public int fallocate(String pathRaw, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("fallocate", path, () -> {
      fs.fallocate(fi.fh.get(), mode, off, length);
      return 0;
    });
  }

  @Override
  public int ftruncate(String pathRaw, @off_t long size, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("ftruncate", path, () -> {
      fs.ftruncate(fi.fh.get(), size);
      return 0;
    });
  }

  @Override
  public int create(String pathRaw, @mode_t long mode, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("create", path, () -> {
      fi.fh.set(fs.create(path, (int) mode, uid(), gid()));
      return 0;
    });
  }

  @Override
  public int open(String pathRaw, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("open", path, () -> {
      long fh = fs.open(path, fi.flags.get());
      fi.fh.set(fh);
      if (KEEP_CACHE_KNOWN && fs.keepCache(fh)) {
        // jnr-fuse maps the bit-fields as padding: libfuse 2.9's word after writepage, keep_cache is bit 1
        Pointer p = jnr.ffi.Struct.getMemory(fi);
        p.putInt(FI2_BITS, p.getInt(FI2_BITS) | FI2_KEEP_CACHE);
      }
      return 0;
    });
  }

  @Override
  public int read(String pathRaw, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("read", path, () -> {
      return fs.read(fi.fh.get(), offset, direct(buf, size));
    });
  }

  @Override
  public int write(String pathRaw, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("write", path, () -> {
      fs.write(fi.fh.get(), offset, direct(buf, size));
      return (int) size;
    });
  }

  @Override
  public int flush(String pathRaw, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("flush", path, () -> {
      fs.flush(fi.fh.get());
      return 0;
    });
  }

  @Override
  public int release(String pathRaw, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("release", path, () -> {
      fs.release(fi.fh.get());
      return 0;
    });
  }

  @Override
  public int fsync(String pathRaw, int isdatasync, FuseFileInfo fi) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("fsync", path, () -> {
      fs.fsync(fi.fh.get());
      return 0;
    });
  }

  @Override
  public int statfs(String pathRaw, Statvfs st) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    return FuseCall.run("statfs", path, () -> {
      StreamFs.FsStats s = fs.statfs();
      st.f_bsize.set(s.blockSize());
      st.f_frsize.set(s.blockSize());
      st.f_blocks.set(s.blocks());
      st.f_bfree.set(s.blocksFree());
      st.f_bavail.set(s.blocksFree());
      st.f_files.set(s.files());
      st.f_ffree.set(s.filesFree());
      st.f_favail.set(s.filesFree());
      st.f_namemax.set(s.nameMax());
      return 0;
    });
  }

  @Override
  public int getxattr(String pathRaw, String nameRaw, Pointer value, @size_t long size) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    String name = xattrName(nameRaw);
    if (name == null) {
      return -Errno.EILSEQ;
    }
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("getxattr", path, () -> FuseReplies.xattr(fs.getxattr(path, name), value, size));
  }

  @Override
  public int listxattr(String pathRaw, Pointer list, @size_t long size) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("listxattr", path,
        () -> FuseReplies.xattr(FuseReplies.names(fs.listxattr(path)), list, size));
  }

  @Override
  public int setxattr(String pathRaw, String nameRaw, Pointer value, @size_t long size, int flags) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    String name = xattrName(nameRaw);
    if (name == null) {
      return -Errno.EILSEQ;
    }
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("setxattr", path, () -> {
      byte[] v = new byte[(int) size];
      value.get(0, v, 0, v.length);
      fs.setxattr(path, name, v, flags);
      return 0;
    });
  }

  @Override
  public int removexattr(String pathRaw, String nameRaw) {
    String path = name(pathRaw);
    if (path == null) {
      return -Errno.EILSEQ;
    }
    String name = xattrName(nameRaw);
    if (name == null) {
      return -Errno.EILSEQ;
    }
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("removexattr", path, () -> {
      fs.removexattr(path, name);
      return 0;
    });
  }
}

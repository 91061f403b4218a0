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

  /** An xattr name as jnr-fuse decoded it; EILSEQ if it was not UTF-8. */
  private static String xattrName(String decoded) throws FsException {
    if (decoded.indexOf('\uFFFD') >= 0) {
      throw FsException.of(Errno.EILSEQ, decoded, "extended attribute name is not valid UTF-8");
    }
    return decoded;
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
    return FuseCall.run("getattr", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
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
    return FuseCall.run("access", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.getattr(path);
      return 0;
    });
  }

  @Override
  public int readdir(String pathRaw, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
    return FuseCall.run("readdir", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
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
    return FuseCall.run("mkdir", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.mkdir(path, (int) mode, uid(), gid());
      return 0;
    });
  }

  @Override
  public int mknod(String pathRaw, @mode_t long mode, @dev_t long rdev) {
    return FuseCall.run("mknod", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.mknod(path, (int) mode, rdev, uid(), gid());
      return 0;
    });
  }

  @Override
  public int link(String oldpathRaw, String newpathRaw) {
    return FuseCall.run("link", oldpathRaw + " -> " + newpathRaw, () -> {
      String oldpath = NameBytes.fromDecoded(oldpathRaw);
      String newpath = NameBytes.fromDecoded(newpathRaw);
      fs.link(oldpath, newpath);
      return 0;
    });
  }

  @Override
  public int rmdir(String pathRaw) {
    return FuseCall.run("rmdir", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.rmdir(path);
      return 0;
    });
  }

  @Override
  public int unlink(String pathRaw) {
    return FuseCall.run("unlink", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.unlink(path);
      return 0;
    });
  }

  @Override
  public int rename(String oldpathRaw, String newpathRaw) {
    return FuseCall.run("rename", oldpathRaw + " -> " + newpathRaw, () -> {
      String oldpath = NameBytes.fromDecoded(oldpathRaw);
      String newpath = NameBytes.fromDecoded(newpathRaw);
      fs.rename(oldpath, newpath);
      return 0;
    });
  }

  @Override
  public int symlink(String targetRaw, String linkpathRaw) {
    return FuseCall.run("symlink", linkpathRaw, () -> {
      String target = NameBytes.fromDecoded(targetRaw);
      String linkpath = NameBytes.fromDecoded(linkpathRaw);
      fs.symlink(target, linkpath, uid(), gid());
      return 0;
    });
  }

  @Override
  public int readlink(String pathRaw, Pointer buf, @size_t long size) {
    return FuseCall.run("readlink", pathRaw,
        () -> FuseReplies.link(FuseNames.bytes(fs.readlink(NameBytes.fromDecoded(pathRaw))), buf, size));
  }

  @Override
  public int chmod(String pathRaw, @mode_t long mode) {
    return FuseCall.run("chmod", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.chmod(path, (int) mode);
      return 0;
    });
  }

  @Override
  public int chown(String pathRaw, long uid, long gid) {
    return FuseCall.run("chown", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.chown(path, uid, gid);
      return 0;
    });
  }

  @Override
  public int utimens(String pathRaw, Timespec[] timespec) {
    return FuseCall.run("utimens", pathRaw, () -> FuseReplies.times(fs, NameBytes.fromDecoded(pathRaw),
        timespec[0].tv_sec.get(),
        timespec[0].tv_nsec.longValue(), timespec[1].tv_sec.get(), timespec[1].tv_nsec.longValue()));
  }

  @Override
  public int truncate(String pathRaw, @off_t long size) {
    return FuseCall.run("truncate", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.truncate(path, size);
      return 0;
    });
  }

  @Override
  public int fallocate(String pathRaw, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
    return FuseCall.run("fallocate", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.fallocate(fi.fh.get(), mode, off, length);
      return 0;
    });
  }

  @Override
  public int ftruncate(String pathRaw, @off_t long size, FuseFileInfo fi) {
    return FuseCall.run("ftruncate", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.ftruncate(fi.fh.get(), size);
      return 0;
    });
  }

  @Override
  public int create(String pathRaw, @mode_t long mode, FuseFileInfo fi) {
    return FuseCall.run("create", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fi.fh.set(fs.create(path, (int) mode, uid(), gid()));
      return 0;
    });
  }

  @Override
  public int open(String pathRaw, FuseFileInfo fi) {
    return FuseCall.run("open", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
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
    return FuseCall.run("read", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      return fs.read(fi.fh.get(), offset, direct(buf, size));
    });
  }

  @Override
  public int write(String pathRaw, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return FuseCall.run("write", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.write(fi.fh.get(), offset, direct(buf, size));
      return (int) size;
    });
  }

  @Override
  public int flush(String pathRaw, FuseFileInfo fi) {
    return FuseCall.run("flush", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.flush(fi.fh.get());
      return 0;
    });
  }

  @Override
  public int release(String pathRaw, FuseFileInfo fi) {
    return FuseCall.run("release", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.release(fi.fh.get());
      return 0;
    });
  }

  @Override
  public int fsync(String pathRaw, int isdatasync, FuseFileInfo fi) {
    return FuseCall.run("fsync", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      fs.fsync(fi.fh.get());
      return 0;
    });
  }

  @Override
  public int statfs(String pathRaw, Statvfs st) {
    return FuseCall.run("statfs", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
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
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("getxattr", pathRaw, () -> FuseReplies.xattr(fs.getxattr(NameBytes.fromDecoded(pathRaw),
        xattrName(nameRaw)), value, size));
  }

  @Override
  public int listxattr(String pathRaw, Pointer list, @size_t long size) {
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("listxattr", pathRaw,
        () -> FuseReplies.xattr(FuseReplies.names(fs.listxattr(NameBytes.fromDecoded(pathRaw))), list, size));
  }

  @Override
  public int setxattr(String pathRaw, String nameRaw, Pointer value, @size_t long size, int flags) {
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("setxattr", pathRaw, () -> {
      String path = NameBytes.fromDecoded(pathRaw);
      String name = xattrName(nameRaw);
      byte[] v = new byte[(int) size];
      value.get(0, v, 0, v.length);
      fs.setxattr(path, name, v, flags);
      return 0;
    });
  }

  @Override
  public int removexattr(String pathRaw, String nameRaw) {
    if (!xattrs) {
      return -org.streamfs.fs.Errno.ENOSYS;
    }
    return FuseCall.run("removexattr", pathRaw, () -> {
      fs.removexattr(NameBytes.fromDecoded(pathRaw), xattrName(nameRaw));
      return 0;
    });
  }
}

package org.streamfs.fs.fuse;

import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libc's {@code lseek(SEEK_DATA)}: where a sparse file holds data, so ranges that are holes are known
 * without reading them. Java has none. Here because this package is the one that calls native code; the
 * local store takes it as a plain method reference ({@code store.local.Holes#use}).
 */
public final class SeekData {
  private static final Logger LOG = LoggerFactory.getLogger(SeekData.class);
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int SEEK_DATA = 3;
  private static final int ENXIO = 6;

  /** Answer of {@link #firstData} when it cannot tell: read the range. */
  public static final long UNKNOWN = -2;
  /** Answer of {@link #firstData} when the range holds no data (all of it is a hole or past the end). */
  public static final long NONE = -1;

  /** libc's open/lseek/close; public because jnr-ffi generates the implementation. */
  public interface LibC {
    int open(String path, int flags);

    long lseek(int fd, long offset, int whence);

    int close(int fd);
  }

  private static final class Holder {
    static final LibC LIBC = load();
    static final jnr.ffi.Runtime RUNTIME = LIBC == null ? null : jnr.ffi.Runtime.getRuntime(LIBC);

    private static LibC load() {
      try {
        return LibraryLoader.create(LibC.class).failImmediately().load("c");
      } catch (LinkageError | RuntimeException e) {
        LOG.info("libc's lseek is not available ({}); holes are found by reading", e.toString());
        return null;
      }
    }
  }

  private SeekData() {}

  /**
   * The offset of the first byte of data of {@code file} in [{@code offset}, {@code offset + length}),
   * {@link #NONE} if there is none (holes, or the end of the file), {@link #UNKNOWN} if it cannot be told.
   * Data may be reported where the file reads zeros (unwritten extents, written zeros), never a hole where
   * there is data.
   */
  public static long firstData(Path file, long offset, long length) {
    if (length <= 0) {
      return NONE;
    }
    LibC libc = Holder.LIBC;
    if (libc == null) {
      return UNKNOWN;
    }
    int fd = libc.open(file.toString(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return UNKNOWN;
    }
    try {
      long at = libc.lseek(fd, offset, SEEK_DATA);
      if (at < 0) {
        // ENXIO: no data at or after offset; any other error: cannot tell
        return jnr.ffi.LastError.getLastError(Holder.RUNTIME) == ENXIO ? NONE : UNKNOWN;
      }
      return at >= offset + length ? NONE : Math.max(at, offset);
    } finally {
      libc.close(fd);
    }
  }
}

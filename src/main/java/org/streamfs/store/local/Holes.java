package org.streamfs.store.local;

import java.nio.file.Path;

/**
 * Where a sparse file of the store holds data, so ranges that are holes are known without reading them. A
 * chunk copied from a 1 GB sparse object used to be read in full (8 MiB of zeros) just to learn that it was
 * a hole; a file rewritten a few bytes at a time (fsstress, a database file) paid that for every chunk on
 * every close. The finder is libc's {@code lseek(SEEK_DATA)}, which the processes install at start
 * ({@link #use}, {@code fs.fuse.SeekData}: native code stays in the binding package); without it, and
 * where the filesystem does not report holes, callers read as before: the answer is a hint that never says
 * "hole" for data.
 */
public final class Holes {
  /** Answer of {@link #firstData} when it cannot tell: read the range. */
  static final long UNKNOWN = -2;
  /** Answer of {@link #firstData} when the range holds no data (all of it is a hole or past the end). */
  static final long NONE = -1;

  /** Finds the first data byte of a file in a range: an offset in it, {@code -1} none, {@code -2} unknown. */
  @FunctionalInterface
  public interface Finder {
    long firstData(Path file, long offset, long length);
  }

  private static volatile Finder finder = (file, offset, length) -> length <= 0 ? NONE : UNKNOWN;

  private Holes() {}

  /** Installs the finder (once, at process start). */
  public static void use(Finder f) {
    finder = f;
  }

  /**
   * The offset of the first byte of data of {@code file} in [{@code offset}, {@code offset + length}),
   * {@link #NONE} if there is none, {@link #UNKNOWN} if it cannot be told.
   */
  static long firstData(Path file, long offset, long length) {
    long r = finder.firstData(file, offset, length);
    return r >= offset || r == NONE ? r : UNKNOWN;
  }
}

package org.streamfs.fs;

import java.io.IOException;

/**
 * A POSIX failure decided by the fs layer itself (ENOENT for a missing path, ENOTEMPTY, ENAMETOOLONG...),
 * carrying its errno so that {@link Errno#of} needs no guessing. The message names the path.
 */
public final class FsException extends IOException {
  private static final long serialVersionUID = 1L;
  private final int errno;

  public FsException(int errno, String message) {
    super(message);
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }

  public static FsException of(int errno, String path, String what) {
    return new FsException(errno, path + ": " + what);
  }
}

package org.streamfs.cli;

/**
 * The CLI's exit codes, distinct per kind of failure so scripts can tell them apart: 0 success, 1 an
 * unexpected internal error, 2 a usage error (bad option or argument), 3 a missing file, object or
 * operation, 4 a failed transfer (rolled back or left resumable), 5 a checksum mismatch, 6 the store is
 * unreachable or refused access, 7 a mount/unmount failure.
 */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int INTERNAL = 1;
  public static final int USAGE = 2;
  public static final int NOT_FOUND = 3;
  public static final int TRANSFER_FAILED = 4;
  public static final int CHECKSUM = 5;
  public static final int STORE = 6;
  public static final int MOUNT = 7;

  private ExitCodes() {}
}

package org.streamfs.fs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import jnr.ffi.Pointer;
import org.streamfs.fs.Errno;
import org.streamfs.fs.StreamFs;

/** The encodings both bindings share: the xattr size protocol, readlink's buffer, utimens' special times. */
final class FuseReplies {
  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;

  private FuseReplies() {}

  /** The xattr size protocol: size 0 asks for the length; too small a buffer is ERANGE. */
  static int xattr(byte[] v, Pointer out, long size) {
    if (size == 0) {
      return v.length;
    }
    if (size < v.length) {
      return -Errno.ERANGE;
    }
    out.put(0, v, 0, v.length);
    return v.length;
  }

  /** listxattr's answer: the names, each NUL-terminated. */
  static byte[] names(List<String> names) {
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      sb.append(n).append('\0');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** readlink's answer: the target, cut to fit and NUL-terminated. */
  static int link(byte[] t, Pointer buf, long size) {
    int n = (int) Math.min(t.length, size - 1);
    buf.put(0, t, 0, n);
    buf.putByte(n, (byte) 0);
    return 0;
  }

  /**
   * utimens' two times: UTIME_OMIT leaves a time as it is, UTIME_NOW is the clock, anything else is kept
   * as given (atime and mtime each on its own).
   */
  static int times(StreamFs fs, String path, long aSec, long aNsec, long mSec, long mNsec) throws IOException {
    Instant now = Instant.now();
    fs.setTimes(path, time(aSec, aNsec, now), time(mSec, mNsec, now));
    return 0;
  }

  private static Instant time(long sec, long nsec, Instant now) {
    if (nsec == UTIME_OMIT) {
      return null;
    }
    return nsec == UTIME_NOW ? now : Instant.ofEpochSecond(sec, nsec);
  }

  /** utimens(NULL) means "now" for both times. */
  static long nowNanos() {
    return UTIME_NOW;
  }
}

package org.streamfs.model;

import java.nio.ByteBuffer;

/**
 * Recognises all-zero bytes (holes of sparse files) at memory speed, by comparing against a shared
 * read-only block of zeros; stores use it to keep holes as holes and checksums to skip hashing them.
 */
public final class Zeros {
  /** Block size the comparisons work in. */
  public static final int BLOCK = 1 << 20;
  private static final ByteBuffer ZERO = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();

  private Zeros() {}

  /** Whether every remaining byte of {@code b} is zero; the buffer's position is left unchanged. */
  public static boolean isZero(ByteBuffer b) {
    int pos = b.position();
    int end = b.limit();
    while (pos < end) {
      int n = Math.min(BLOCK, end - pos);
      if (b.slice(pos, n).mismatch(ZERO.slice(0, n)) >= 0) {
        return false;
      }
      pos += n;
    }
    return true;
  }
}

package org.streamfs.store.couchdb;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * The base64 text of a buffer's remaining bytes, produced block by block as it is read, so that an inline
 * attachment in a JSON request costs a few KiB of extra memory instead of a second, larger copy of the part.
 * The buffer itself is not consumed (a duplicate is read), so a retried request can start again.
 */
final class Base64Stream extends InputStream {
  /** Source bytes per block: a multiple of 3, so that only the last block has padding. */
  private static final int BLOCK = 3 * 16 * 1024;
  private final ByteBuffer source;
  private final byte[] in = new byte[BLOCK];
  private byte[] out = new byte[0];
  private int pos;

  Base64Stream(ByteBuffer data) {
    this.source = data.duplicate();
  }

  /** Length of the base64 text of {@code n} bytes (with padding). */
  static long encodedLength(long n) {
    return (n + 2) / 3 * 4;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (pos == out.length) {
      int n = Math.min(BLOCK, source.remaining());
      if (n == 0) {
        return -1;
      }
      source.get(in, 0, n);
      out = Base64.getEncoder().encode(n == BLOCK ? in : java.util.Arrays.copyOf(in, n));
      pos = 0;
    }
    int k = Math.min(len, out.length - pos);
    System.arraycopy(out, pos, b, off, k);
    pos += k;
    return k;
  }
}

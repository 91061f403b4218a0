package org.streamfs.model;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.commons.codec.binary.Hex;

/** SHA-256 helpers: the one checksum algorithm of the project (per chunk and whole file), as hex. */
public final class Sha256 {
  private Sha256() {}

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK without SHA-256", e);
    }
  }

  /**
   * Digest of the buffer's remaining bytes; the buffer's position is left unchanged. All-zero buffers (the
   * holes of sparse files, sent and stored as chunks like any other) are answered from a small cache by
   * length: checking for zeros runs at memory speed, several times faster than hashing them.
   */
  public static byte[] digest(ByteBuffer data) {
    int len = data.remaining();
    if (len >= ZERO_MIN && Zeros.isZero(data)) {
      byte[] cached = ZERO_DIGESTS.get(len);
      if (cached == null) {
        cached = hashOf(data);
        if (ZERO_DIGESTS.size() < 64) {
          ZERO_DIGESTS.put(len, cached);
        }
      }
      return cached.clone();
    }
    return hashOf(data);
  }

  /** SHA-256 of {@code len} zero bytes (cached for a few lengths). */
  public static byte[] zeroDigest(long len) {
    if (len <= Integer.MAX_VALUE) {
      byte[] cached = ZERO_DIGESTS.get((int) len);
      if (cached != null) {
        return cached.clone();
      }
    }
    MessageDigest md = newDigest();
    ByteBuffer z = ByteBuffer.allocate((int) Math.min(len, Zeros.BLOCK));
    for (long done = 0; done < len; ) {
      int n = (int) Math.min(z.capacity(), len - done);
      md.update(z.clear().limit(n));
      done += n;
    }
    byte[] d = md.digest();
    if (len <= Integer.MAX_VALUE && ZERO_DIGESTS.size() < 64) {
      ZERO_DIGESTS.put((int) len, d.clone());
    }
    return d;
  }

  private static final int ZERO_MIN = 64 << 10;
  private static final java.util.Map<Integer, byte[]> ZERO_DIGESTS = new java.util.concurrent.ConcurrentHashMap<>();

  private static byte[] hashOf(ByteBuffer data) {
    MessageDigest md = newDigest();
    md.update(data.duplicate());
    return md.digest();
  }

  public static byte[] digest(byte[] data) {
    return newDigest().digest(data);
  }

  public static String hex(byte[] digest) {
    return Hex.encodeHexString(digest);
  }

  public static String hex(ByteBuffer data) {
    return hex(digest(data));
  }

  public static byte[] fromHex(String hex) {
    try {
      return Hex.decodeHex(hex);
    } catch (org.apache.commons.codec.DecoderException e) {
      throw new IllegalArgumentException("not a hex digest: " + hex, e);
    }
  }
}

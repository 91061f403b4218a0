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

  /** Digest of the buffer's remaining bytes; the buffer's position is left unchanged. */
  public static byte[] digest(ByteBuffer data) {
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

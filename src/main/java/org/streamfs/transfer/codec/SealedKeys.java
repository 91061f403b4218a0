package org.streamfs.transfer.codec;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of one object version, derived from the master key and the object's random file id with
 * HKDF-Expand (HMAC-SHA256): the AES-256-GCM data key that seals its frames and index, and the key check
 * value stored in its header. Because every object version has its own data key, nonces only need to be
 * unique within one object version (FORMAT.md argues the rest). Thread-safe: a fresh {@link Cipher} per
 * call.
 */
final class SealedKeys {
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;
  private static final byte[] INFO_DATA = "streamfs sealed-v1 data key".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INFO_CHECK = "streamfs sealed-v1 key check".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec dataKey;
  private final byte[] keyCheck;

  SealedKeys(byte[] masterKey, byte[] fileId) {
    byte[] k = hkdfExpand(masterKey, concat(INFO_DATA, fileId));
    this.dataKey = new SecretKeySpec(k, "AES");
    java.util.Arrays.fill(k, (byte) 0);
    this.keyCheck = hkdfExpand(masterKey, concat(INFO_CHECK, fileId));
  }

  /** The value a header stores so a reader can tell a wrong key before decrypting anything. */
  byte[] keyCheck() {
    return keyCheck.clone();
  }

  /** Constant-time comparison with a header's key check value. */
  boolean matches(byte[] storedCheck) {
    return MessageDigest.isEqual(keyCheck, storedCheck);
  }

  /** Encrypts {@code buf[off, off+len)} in place; the 16-byte tag is written right after it. */
  void encrypt(byte[] nonce, byte[] aad, byte[] buf, int off, int len) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, dataKey, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      c.updateAAD(aad);
      int n = c.doFinal(buf, off, len, buf, off);
      if (n != len + TAG_LENGTH) {
        throw new IllegalStateException("GCM produced " + n + " bytes for " + len);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Decrypts {@code buf[off, off+len)} (ciphertext and tag) in place; returns the plaintext length, or -1
   * if the tag does not verify (wrong position, file, version, or any flipped bit).
   */
  int decrypt(byte[] nonce, byte[] aad, byte[] buf, int off, int len) {
    if (len < TAG_LENGTH) {
      return -1;
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, dataKey, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      c.updateAAD(aad);
      return c.doFinal(buf, off, len, buf, off);
    } catch (javax.crypto.AEADBadTagException e) {
      return -1;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed", e);
    }
  }

  /** HKDF-Expand (RFC 5869) for one 32-byte block, with {@code prk} the master key. */
  static byte[] hkdfExpand(byte[] prk, byte[] info) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      mac.update(info);
      mac.update((byte) 1);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK without HmacSHA256", e);
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Override
  public String toString() {
    return "SealedKeys[redacted]";
  }
}

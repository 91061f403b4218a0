package org.streamfs.transfer.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.streamfs.model.Sha256;

/**
 * The index and footer at the end of a sealed object (layout in FORMAT.md). The index body lists every
 * chunk's offset, region length, plaintext length and plaintext SHA-256; it is sealed with AES-256-GCM
 * under the object's data key when the object is encrypted (so the operator does not learn plaintext
 * hashes), or followed by a SHA-256 over header and body otherwise. Both bind the 96-byte header, so a
 * header, index or footer from another object version is detected. The footer (48 bytes, last in the
 * object) locates the index and repeats file size and file id.
 */
final class SealedIndex {
  static final int FOOTER_LENGTH = 48;
  static final int ENTRY_LENGTH = 52;
  static final int BODY_PREFIX = 20;
  static final byte[] FOOTER_MAGIC = {(byte) 0x89, 'S', 'F', 'S', 'E', 'N', 'D', '\n'};
  static final byte[] DOMAIN = "streamfs sealed-v1 index".getBytes(StandardCharsets.US_ASCII);

  /**
   * One chunk's place in the object: its frame number (the chunk index bound into the frame's associated
   * data: equal to the position for fixed-size chunks), offset and region length, plaintext length and
   * plaintext SHA-256.
   */
  record Entry(int frame, long offset, int regionLength, int plaintextLength, byte[] sha256) {}

  /** The decoded footer. */
  record Footer(long indexOffset, int indexLength, long fileSize, byte[] fileId) {}

  private SealedIndex() {}

  static byte[] encodeBody(long fileSize, long chunkSize, List<Entry> entries) {
    ByteBuffer b = ByteBuffer.allocate(BODY_PREFIX + ENTRY_LENGTH * entries.size());
    b.putInt(entries.size()).putLong(fileSize).putLong(chunkSize);
    for (Entry e : entries) {
      b.putInt(e.frame()).putLong(e.offset()).putInt(e.regionLength()).putInt(e.plaintextLength()).put(e.sha256());
    }
    return b.array();
  }

  /** The stored index: GCM-sealed body (nonce first) or body followed by its SHA-256. */
  static byte[] seal(byte[] header, byte[] body, SealedKeys keys, byte[] nonce) {
    byte[] aad = SealedKeys.concat(DOMAIN, header);
    if (keys != null) {
      byte[] out = new byte[SealedKeys.NONCE_LENGTH + body.length + SealedKeys.TAG_LENGTH];
      System.arraycopy(nonce, 0, out, 0, SealedKeys.NONCE_LENGTH);
      System.arraycopy(body, 0, out, SealedKeys.NONCE_LENGTH, body.length);
      keys.encrypt(nonce, aad, out, SealedKeys.NONCE_LENGTH, body.length);
      return out;
    }
    MessageDigest md = Sha256.newDigest();
    md.update(aad);
    md.update(body);
    byte[] out = Arrays.copyOf(body, body.length + 32);
    System.arraycopy(md.digest(), 0, out, body.length, 32);
    return out;
  }

  /** The body of a stored index, or null if it is not authentic. */
  static byte[] open(byte[] header, byte[] stored, SealedKeys keys) {
    byte[] aad = SealedKeys.concat(DOMAIN, header);
    if (keys != null) {
      if (stored.length < SealedKeys.NONCE_LENGTH + SealedKeys.TAG_LENGTH) {
        return null;
      }
      byte[] nonce = Arrays.copyOf(stored, SealedKeys.NONCE_LENGTH);
      int n = keys.decrypt(nonce, aad, stored, SealedKeys.NONCE_LENGTH, stored.length - SealedKeys.NONCE_LENGTH);
      return n < 0 ? null : Arrays.copyOfRange(stored, SealedKeys.NONCE_LENGTH, SealedKeys.NONCE_LENGTH + n);
    }
    if (stored.length < 32) {
      return null;
    }
    MessageDigest md = Sha256.newDigest();
    md.update(aad);
    md.update(stored, 0, stored.length - 32);
    byte[] expect = md.digest();
    if (!MessageDigest.isEqual(expect, Arrays.copyOfRange(stored, stored.length - 32, stored.length))) {
      return null;
    }
    return Arrays.copyOf(stored, stored.length - 32);
  }

  /** Parses a body; {@link IllegalArgumentException} names the inconsistency. */
  static List<Entry> decodeBody(byte[] body, long fileSize, long chunkSize) {
    if (body.length < BODY_PREFIX) {
      throw new IllegalArgumentException("index body too short");
    }
    ByteBuffer b = ByteBuffer.wrap(body);
    int n = b.getInt();
    long size = b.getLong();
    long cs = b.getLong();
    if (size != fileSize || cs != chunkSize) {
      throw new IllegalArgumentException("index records size " + size + " / chunk size " + cs
          + " but footer/header say " + fileSize + " / " + chunkSize);
    }
    if (n < 0 || (long) n * ENTRY_LENGTH != body.length - BODY_PREFIX) {
      throw new IllegalArgumentException("index chunk count " + n + " does not match its length");
    }
    List<Entry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int frame = b.getInt();
      long off = b.getLong();
      int region = b.getInt();
      int plain = b.getInt();
      byte[] sha = new byte[32];
      b.get(sha);
      entries.add(new Entry(frame, off, region, plain, sha));
    }
    return entries;
  }

  static byte[] encodeFooter(long indexOffset, int indexLength, long fileSize, byte[] fileId) {
    return ByteBuffer.allocate(FOOTER_LENGTH).putLong(indexOffset).putInt(indexLength).putInt(0)
        .putLong(fileSize).put(fileId).put(FOOTER_MAGIC).array();
  }

  /** Parses a footer; {@link IllegalArgumentException} if the magic or a field is wrong. */
  static Footer decodeFooter(byte[] f) {
    if (f.length != FOOTER_LENGTH
        || !Arrays.equals(f, FOOTER_LENGTH - 8, FOOTER_LENGTH, FOOTER_MAGIC, 0, 8)) {
      throw new IllegalArgumentException("no sealed-object footer at the end (object truncated, or not"
          + " written by streamfs)");
    }
    ByteBuffer b = ByteBuffer.wrap(f);
    long indexOffset = b.getLong();
    int indexLength = b.getInt();
    int reserved = b.getInt();
    long fileSize = b.getLong();
    byte[] fileId = new byte[16];
    b.get(fileId);
    if (reserved != 0 || indexOffset < 0 || indexLength < 0 || fileSize < 0) {
      throw new IllegalArgumentException("footer fields out of range");
    }
    return new Footer(indexOffset, indexLength, fileSize, fileId);
  }
}

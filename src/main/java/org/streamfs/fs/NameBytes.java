package org.streamfs.fs;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The lossless mapping between Linux names (bytes, anything but NUL and, within a name, {@code /}) and the
 * strings the file system and the store keys use. Valid UTF-8 stays as it is, so every name that is valid
 * UTF-8 without control characters or {@code \} keeps the key it always had. Every other byte is written
 * as one character of a reserved escape range in the Private Use Area: byte {@code b} is U+F700+b. Escaped
 * are the control bytes 0x01-0x1F and 0x7F, the backslash 0x5C (keys refuse both, and other tools of S3 or
 * CouchDB stumble on them), each byte of a sequence that is not valid UTF-8 (0x80-0xFF), and each of the
 * three bytes of a name's own character in the escape range (so a real U+F7xx never reads as an escape).
 * The escape range is thus U+F701-U+F71F, U+F75C, U+F77F and U+F780-U+F7FF; other characters of the
 * U+F7xx block are plain characters.
 *
 * <p>{@link #toBytes} inverts {@link #fromBytes} exactly, so two names never share a key. A key written by
 * another client can hold escapes that this mapping would not produce (an escaped byte that is valid
 * UTF-8 in context, e.g. U+F7C3 U+F7A9 for "é"): such a key is not {@link #canonical}, would share its
 * bytes with another key, and is not listed by the mount.
 */
public final class NameBytes {
  static final int ESCAPE_BASE = 0xF700;

  private NameBytes() {}

  /** Whether byte {@code b} (0-255) is written as an escape rather than as itself. */
  private static boolean escapedByte(int b) {
    return b < 0x20 || b == 0x7f || b == '\\' || b >= 0x80;
  }

  /** Whether {@code c} is an escape character: the byte {@code c - 0xF700}. */
  static boolean isEscape(int c) {
    return c >= ESCAPE_BASE + 1 && c <= ESCAPE_BASE + 0xff && escapedByte(c - ESCAPE_BASE);
  }

  /** The string of the name or path {@code bytes}. */
  public static String fromBytes(byte[] bytes) {
    return fromBytes(bytes, 0, bytes.length);
  }

  /** The string of the name or path in {@code bytes[off, off+len)}. */
  public static String fromBytes(byte[] bytes, int off, int len) {
    StringBuilder sb = new StringBuilder(len);
    int end = off + len;
    int i = off;
    while (i < end) {
      int b = bytes[i] & 0xff;
      if (b < 0x80) {
        if (escapedByte(b)) {
          sb.append((char) (ESCAPE_BASE + b));
        } else {
          sb.append((char) b);
        }
        i++;
        continue;
      }
      int n = sequence(bytes, i, end);
      if (n == 0) {
        sb.append((char) (ESCAPE_BASE + b)); // not part of valid UTF-8: the byte itself
        i++;
        continue;
      }
      int cp = codePoint(bytes, i, n);
      if (isEscape(cp)) {
        for (int k = 0; k < n; k++) {
          sb.append((char) (ESCAPE_BASE + (bytes[i + k] & 0xff)));
        }
      } else {
        sb.appendCodePoint(cp);
      }
      i += n;
    }
    return sb.toString();
  }

  /** The bytes of a name or path string: escapes become their byte, everything else UTF-8. */
  public static byte[] toBytes(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (isEscape(cp)) {
        out.write(cp - ESCAPE_BASE);
      } else if (cp < 0x80) {
        out.write(cp);
      } else {
        byte[] u = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(u, 0, u.length);
      }
    }
    return out.toByteArray();
  }

  /** Whether {@code s} is the string of its own bytes: the form {@link #fromBytes} produces. */
  public static boolean canonical(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\' || Character.isSurrogate(c) || isEscape(c)) {
        return fromBytes(toBytes(s)).equals(s);
      }
    }
    return true;
  }

  /**
   * A string a libfuse binding got already decoded as UTF-8 (jnr-fuse): its escaped form, the same as
   * {@code fromBytes} of its bytes. Such a binding replaced bytes that are not UTF-8 by U+FFFD: a name
   * holding U+FFFD cannot be told from another, so it is refused (EILSEQ) rather than stored under a key
   * another name shares.
   */
  public static String fromDecoded(String s) throws FsException {
    if (s.indexOf('\uFFFD') >= 0) {
      throw FsException.of(Errno.EILSEQ, s, "name is not valid UTF-8 (or holds U+FFFD); the libfuse2 binding"
          + " cannot tell such names apart, mount with libfuse3 to use them");
    }
    return fromBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The length of the valid, shortest-form UTF-8 sequence at {@code i} (a lead byte >= 0x80), or 0. */
  private static int sequence(byte[] b, int i, int end) {
    int b0 = b[i] & 0xff;
    int n;
    int min;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      n = 2;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      n = 3;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      n = 4;
      min = 0x10000;
    } else {
      return 0;
    }
    if (i + n > end) {
      return 0;
    }
    for (int k = 1; k < n; k++) {
      if ((b[i + k] & 0xc0) != 0x80) {
        return 0;
      }
    }
    int cp = codePoint(b, i, n);
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return 0;
    }
    return n;
  }

  private static int codePoint(byte[] b, int i, int n) {
    int cp = (b[i] & 0xff) & (0xff >> (n + 1));
    for (int k = 1; k < n; k++) {
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    return cp;
  }
}

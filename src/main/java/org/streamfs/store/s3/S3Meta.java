package org.streamfs.store.s3;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Small conversions between the store SPI and S3 wire values: user metadata to and from {@code x-amz-meta-*}
 * (keys lower-cased, non-ASCII values as RFC 2047 {@code =?UTF-8?B?...?=} words as AWS itself returns them),
 * ETags without quotes as versions, hex and base64 checksums, and a request body over a ByteBuffer that is
 * never copied.
 */
final class S3Meta {
  static final String DIR_CONTENT_TYPE = "application/x-directory";
  static final String FILE_CONTENT_TYPE = "application/octet-stream";
  private static final String B_PREFIX = "=?UTF-8?B?";
  private static final String B_SUFFIX = "?=";

  private S3Meta() {}

  /** SPI metadata → the SDK's metadata map (the SDK adds the x-amz-meta- prefix). */
  static Map<String, String> toS3(Map<String, String> meta) {
    Map<String, String> out = new LinkedHashMap<>();
    if (meta == null) {
      return out;
    }
    for (Map.Entry<String, String> e : meta.entrySet()) {
      String k = e.getKey().toLowerCase(Locale.ROOT);
      if (k.isEmpty() || !k.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ':')) {
        throw new IllegalArgumentException("metadata key not usable as an HTTP header: '" + e.getKey() + "'");
      }
      String v = e.getValue() == null ? "" : e.getValue();
      out.put(k, plainAscii(v) ? v
          : B_PREFIX + Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8)) + B_SUFFIX);
    }
    return out;
  }

  /** The SDK's metadata map (keys without prefix) → SPI metadata. */
  static Map<String, String> fromS3(Map<String, String> meta) {
    Map<String, String> out = new LinkedHashMap<>();
    if (meta == null) {
      return out;
    }
    for (Map.Entry<String, String> e : meta.entrySet()) {
      String v = e.getValue();
      if (v != null && v.startsWith(B_PREFIX) && v.endsWith(B_SUFFIX)) {
        try {
          v = new String(Base64.getDecoder().decode(
              v.substring(B_PREFIX.length(), v.length() - B_SUFFIX.length())), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notOurs) {
          // left as sent by whoever wrote it
        }
      }
      out.put(e.getKey().toLowerCase(Locale.ROOT), v);
    }
    return out;
  }

  private static boolean plainAscii(String v) {
    return v.chars().allMatch(c -> c >= 0x20 && c < 0x7f) && !v.startsWith(B_PREFIX);
  }

  static String contentType(String key) {
    return key.endsWith("/") ? DIR_CONTENT_TYPE : FILE_CONTENT_TYPE;
  }

  /** An ETag as a version: without the quotes. */
  static String version(String etag) {
    if (etag == null) {
      return null;
    }
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1) : etag;
  }

  /** A version as an ETag for If-Match and CompletedPart: quoted. */
  static String etag(String version) {
    return version.startsWith("\"") ? version : "\"" + version + "\"";
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  /** Base64 of a hex digest, or null if null. */
  static String hexToB64(String hex) {
    return hex == null ? null : b64(HexFormat.of().parseHex(hex));
  }

  /** Hex of a base64 digest (S3 checksums), or null if null or not a plain base64 digest. */
  static String b64ToHex(String b64) {
    if (b64 == null) {
      return null;
    }
    try {
      return hex(Base64.getDecoder().decode(b64));
    } catch (IllegalArgumentException composite) {
      return null;
    }
  }

  /** A body reading the buffer's remaining bytes, re-readable (signing may read it twice), never copied. */
  static RequestBody body(ByteBuffer data, String contentType) {
    ByteBuffer fixed = data.duplicate();
    return RequestBody.fromContentProvider(() -> new BufferStream(fixed.duplicate()), fixed.remaining(),
        contentType);
  }

  /** An InputStream over a ByteBuffer (heap or direct). */
  private static final class BufferStream extends InputStream {
    private final ByteBuffer buf;

    BufferStream(ByteBuffer buf) {
      this.buf = buf;
    }

    @Override
    public int read() {
      return buf.hasRemaining() ? buf.get() & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!buf.hasRemaining()) {
        return -1;
      }
      int n = Math.min(len, buf.remaining());
      buf.get(b, off, n);
      return n;
    }

    @Override
    public int available() {
      return buf.remaining();
    }
  }
}

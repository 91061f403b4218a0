package org.streamfs.transfer.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The per-chunk compression algorithms of the sealed format and their wire ids: {@link #NONE} (0),
 * {@link #ZSTD} (1, zstd-jni, levels 1-22) and {@link #DEFLATE} (2, raw deflate from the JDK, levels 1-9, the
 * alternative that needs no native library). Compression writes into a caller's buffer with a hard bound,
 * so an incompressible chunk is detected without a second buffer; decompression writes exactly the
 * expected number of bytes and refuses more (no decompression bombs).
 */
public enum Compression {
  NONE(0, 0, 0),
  ZSTD(1, 1, 22),
  DEFLATE(2, 1, 9);

  private final int id;
  private final int minLevel;
  private final int maxLevel;

  Compression(int id, int minLevel, int maxLevel) {
    this.id = id;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
  }

  public int id() {
    return id;
  }

  /** The codec with this wire id; a clear error for an unknown one. */
  public static Compression ofId(int id) {
    for (Compression c : values()) {
      if (c.id == id) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown compression codec id " + id + " (this streamfs knows 0-2)");
  }

  /** Parses a command-line name: {@code zstd}, {@code deflate} or {@code none}. */
  public static Compression parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "zstd":
        return ZSTD;
      case "deflate":
      case "zlib":
        return DEFLATE;
      case "none":
      case "off":
        return NONE;
      default:
        throw new IllegalArgumentException("unknown compression codec '" + name + "': use zstd or deflate");
    }
  }

  /** Throws a clear error unless {@code level} is valid for this codec. */
  public void checkLevel(int level) {
    if (this == NONE) {
      if (level != 0) {
        throw new IllegalArgumentException("compression level " + level + " given without a codec");
      }
      return;
    }
    if (level < minLevel || level > maxLevel) {
      throw new IllegalArgumentException("compression level " + level + " is out of range for "
          + name().toLowerCase(Locale.ROOT) + " (" + minLevel + "-" + maxLevel + ", 0 = off)");
    }
  }

  /**
   * Compresses {@code src[srcOff, srcOff+len)} into {@code dst[dstOff, dstOff+dstCap)}; returns the
   * compressed length, or -1 when the result would not fit (the chunk is then stored raw).
   */
  int compress(int level, byte[] src, int srcOff, int len, byte[] dst, int dstOff, int dstCap) {
    if (dstCap <= 0) {
      return -1;
    }
    switch (this) {
      case ZSTD: {
        long n = ZstdHolder.compress(dst, dstOff, dstCap, src, srcOff, len, level);
        return n < 0 ? -1 : (int) n;
      }
      case DEFLATE: {
        Deflater d = new Deflater(level, true);
        try {
          d.setInput(src, srcOff, len);
          d.finish();
          int n = 0;
          while (!d.finished()) {
            if (n >= dstCap) {
              return -1;
            }
            n += d.deflate(dst, dstOff + n, dstCap - n);
          }
          return n;
        } finally {
          d.end();
        }
      }
      default:
        throw new IllegalStateException("compress with " + this);
    }
  }

  /**
   * Decompresses {@code src[srcOff, srcOff+len)} into exactly {@code dst.length} bytes; throws
   * {@link DataFormatException} if the data is malformed or decodes to any other length.
   */
  void decompress(byte[] src, int srcOff, int len, byte[] dst) throws DataFormatException {
    switch (this) {
      case ZSTD: {
        long n = ZstdHolder.decompress(dst, src, srcOff, len);
        if (n != dst.length) {
          throw new DataFormatException("zstd frame decoded to " + n + " bytes, expected " + dst.length);
        }
        return;
      }
      case DEFLATE: {
        Inflater inf = new Inflater(true);
        try {
          inf.setInput(src, srcOff, len);
          int n = 0;
          while (n < dst.length && !inf.finished()) {
            int k = inf.inflate(dst, n, dst.length - n);
            if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
              break;
            }
            n += k;
          }
          if (n != dst.length || !inf.finished() || inf.getRemaining() != 0) {
            throw new DataFormatException("deflate stream decoded to a different length than the "
                + dst.length + " bytes recorded");
          }
          return;
        } finally {
          inf.end();
        }
      }
      default:
        throw new IllegalStateException("decompress with " + this);
    }
  }

  /** Isolates the zstd-jni native library so that deflate and plain mode work where it cannot load. */
  private static final class ZstdHolder {
    static long compress(byte[] dst, int dstOff, int dstCap, byte[] src, int srcOff, int len, int level) {
      long r;
      try {
        r = Zstd.compressByteArray(dst, dstOff, dstCap, src, srcOff, len, level);
      } catch (ZstdException tooSmall) {
        return -1; // does not fit in less than the raw size: stored raw
      } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
        throw new IllegalStateException("zstd native library unavailable on this platform ("
            + e.getMessage() + "); use --compress-codec deflate", e);
      }
      return Zstd.isError(r) ? -1 : r;
    }

    static long decompress(byte[] dst, byte[] src, int srcOff, int len) throws DataFormatException {
      long r;
      try {
        r = Zstd.decompressByteArray(dst, 0, dst.length, src, srcOff, len);
      } catch (ZstdException e) {
        throw new DataFormatException("zstd: " + e.getMessage());
      } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
        throw new IllegalStateException("zstd native library unavailable on this platform ("
            + e.getMessage() + "): cannot read a zstd-compressed object here", e);
      }
      if (Zstd.isError(r)) {
        throw new DataFormatException("zstd: " + Zstd.getErrorName(r));
      }
      return r;
    }
  }
}

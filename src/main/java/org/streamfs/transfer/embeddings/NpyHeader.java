package org.streamfs.transfer.embeddings;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The header of a NumPy {@code .npy} file holding a float32 little-endian C-order matrix of shape (rows,
 * dim): {@link #encode} writes it at a fixed {@link #FIXED_LENGTH} bytes (version 1.0, dictionary padded
 * with spaces and a newline, so the row count can be rewritten in place when it is finally known), and
 * {@link #parse} reads any header NumPy writes (versions 1.0, 2.0 and 3.0), accepting only {@code '<f4'}
 * without Fortran order and naming exactly what is unsupported otherwise.
 */
public record NpyHeader(long rows, int dim, int headerLength) {
  /** Length of the headers this project writes: magic, version, length and padded dictionary. */
  public static final int FIXED_LENGTH = 128;
  /** Bytes per value (float32). */
  public static final int VALUE_BYTES = 4;

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** Longest header this parser accepts (NumPy itself refuses more than 10,000 bytes by default). */
  private static final int MAX_DICT_LENGTH = 65_536;

  public NpyHeader {
    if (rows < 0) {
      throw new IllegalArgumentException("negative row count " + rows);
    }
    if (dim <= 0) {
      throw new IllegalArgumentException("dimension must be positive, got " + dim);
    }
  }

  /** Bytes of one row. */
  public long rowBytes() {
    return (long) dim * VALUE_BYTES;
  }

  /** Byte offset of row {@code row} in the file. */
  public long rowOffset(long row) {
    return headerLength + row * rowBytes();
  }

  /** Total file size: header plus all rows. */
  public long fileSize() {
    return rowOffset(rows);
  }

  /** The fixed-size (128-byte) version 1.0 header for a (rows, dim) float32 matrix. */
  public static byte[] encode(long rows, int dim) {
    return encode(rows, dim, FIXED_LENGTH);
  }

  /**
   * A version 1.0 header of exactly {@code length} bytes (so it can replace a header of that length in
   * place, e.g. one NumPy wrote, when rows are appended).
   */
  public static byte[] encode(long rows, int dim, int length) {
    new NpyHeader(rows, dim, length); // validates
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + dim + "), }";
    int dictSpace = length - MAGIC.length - 2 - 2;
    if (dict.length() + 1 > dictSpace || dictSpace > 0xffff) {
      throw new IllegalArgumentException("shape (" + rows + ", " + dim + ") does not fit a "
          + length + "-byte version 1.0 header");
    }
    StringBuilder sb = new StringBuilder(dict);
    while (sb.length() < dictSpace - 1) {
      sb.append(' ');
    }
    sb.append('\n');
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) dictSpace);
    buf.put(sb.toString().getBytes(StandardCharsets.US_ASCII));
    return buf.array();
  }

  /**
   * Reads a header from the start of {@code in}, leaving the stream at the first data byte. {@code name}
   * names the input in error messages.
   */
  public static NpyHeader parse(InputStream in, String name) throws IOException {
    byte[] prefix = readFully(in, MAGIC.length + 2, name, "magic");
    for (int i = 0; i < MAGIC.length; i++) {
      if (prefix[i] != MAGIC[i]) {
        throw new EmbeddingFormatException(name + ": not a NumPy .npy file (no \\x93NUMPY magic)");
      }
    }
    int major = prefix[6] & 0xff;
    int lengthBytes;
    if (major == 1) {
      lengthBytes = 2;
    } else if (major == 2 || major == 3) {
      lengthBytes = 4;
    } else {
      throw new EmbeddingFormatException(name + ": unsupported .npy format version " + major + "."
          + (prefix[7] & 0xff) + " (1.0, 2.0 and 3.0 are supported)");
    }
    ByteBuffer lb = ByteBuffer.wrap(readFully(in, lengthBytes, name, "header length"))
        .order(ByteOrder.LITTLE_ENDIAN);
    long dictLength = lengthBytes == 2 ? lb.getShort() & 0xffff : lb.getInt() & 0xffffffffL;
    if (dictLength > MAX_DICT_LENGTH) {
      throw new EmbeddingFormatException(name + ": .npy header of " + dictLength + " bytes is too long");
    }
    byte[] dictBytes = readFully(in, (int) dictLength, name, "header");
    String dict = new String(dictBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    long[] shape = parseDict(dict.strip(), name);
    if (shape.length != 2) {
      throw new EmbeddingFormatException(name + ": shape " + shapeString(shape)
          + " is not a matrix (rows, dim); embeddings need a 2-dimensional array");
    }
    if (shape[1] <= 0 || shape[1] > Integer.MAX_VALUE / VALUE_BYTES) {
      throw new EmbeddingFormatException(name + ": unsupported dimension " + shape[1]);
    }
    return new NpyHeader(shape[0], (int) shape[1], (int) (MAGIC.length + 2 + lengthBytes + dictLength));
  }

  /** Parses a header from the first bytes of a file (at least the whole header). */
  public static NpyHeader parse(byte[] start, String name) throws IOException {
    return parse(new java.io.ByteArrayInputStream(start), name);
  }

  private static long[] parseDict(String dict, String name) throws EmbeddingFormatException {
    if (!dict.startsWith("{") || !dict.endsWith("}")) {
      throw new EmbeddingFormatException(name + ": .npy header is not a dictionary: " + abbreviate(dict));
    }
    String descr = stringValue(dict, "descr", name);
    if (!descr.equals("<f4")) {
      String hint = descr.equals(">f4") ? " (big-endian; convert with a.astype('<f4'))"
          : " (convert with a.astype(numpy.float32))";
      throw new EmbeddingFormatException(name + ": dtype '" + descr + "' is not supported; embeddings must be "
          + "float32 little-endian '<f4'" + hint);
    }
    String fortran = rawValue(dict, "fortran_order", name);
    if (fortran.startsWith("True")) {
      throw new EmbeddingFormatException(name + ": Fortran-order arrays are not supported; save a C-order "
          + "array (numpy.ascontiguousarray)");
    } else if (!fortran.startsWith("False")) {
      throw new EmbeddingFormatException(name + ": bad fortran_order value in .npy header: "
          + abbreviate(dict));
    }
    String shape = rawValue(dict, "shape", name);
    if (!shape.startsWith("(")) {
      throw new EmbeddingFormatException(name + ": bad shape in .npy header: " + abbreviate(dict));
    }
    int close = shape.indexOf(')');
    if (close < 0) {
      throw new EmbeddingFormatException(name + ": unterminated shape in .npy header: " + abbreviate(dict));
    }
    List<Long> dims = new ArrayList<>();
    for (String part : shape.substring(1, close).split(",")) {
      String p = part.strip();
      if (p.endsWith("L")) {
        p = p.substring(0, p.length() - 1);
      }
      if (p.isEmpty()) {
        continue;
      }
      try {
        dims.add(Long.parseLong(p));
      } catch (NumberFormatException e) {
        throw new EmbeddingFormatException(name + ": bad shape in .npy header: " + abbreviate(dict));
      }
    }
    long[] out = new long[dims.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = dims.get(i);
      if (out[i] < 0) {
        throw new EmbeddingFormatException(name + ": negative extent in shape " + abbreviate(dict));
      }
    }
    return out;
  }

  /** The text after {@code 'key':}, stripped of leading spaces. */
  private static String rawValue(String dict, String key, String name) throws EmbeddingFormatException {
    int at = dict.indexOf("'" + key + "'");
    if (at < 0) {
      at = dict.indexOf("\"" + key + "\"");
    }
    if (at < 0) {
      throw new EmbeddingFormatException(name + ": .npy header has no '" + key + "': " + abbreviate(dict));
    }
    int colon = dict.indexOf(':', at + key.length() + 2);
    if (colon < 0) {
      throw new EmbeddingFormatException(name + ": malformed .npy header: " + abbreviate(dict));
    }
    return dict.substring(colon + 1).stripLeading();
  }

  private static String stringValue(String dict, String key, String name) throws EmbeddingFormatException {
    String v = rawValue(dict, key, name);
    if (v.isEmpty() || (v.charAt(0) != '\'' && v.charAt(0) != '"')) {
      throw new EmbeddingFormatException(name + ": dtype is not a simple type string (structured arrays "
          + "are not supported): " + abbreviate(dict));
    }
    int end = v.indexOf(v.charAt(0), 1);
    if (end < 0) {
      throw new EmbeddingFormatException(name + ": malformed .npy header: " + abbreviate(dict));
    }
    return v.substring(1, end);
  }

  private static byte[] readFully(InputStream in, int n, String name, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new EmbeddingFormatException(name + ": truncated .npy file (ended inside the " + what + ")",
          new EOFException());
    }
    return b;
  }

  private static String shapeString(long[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(shape[i]).append(shape.length == 1 || i < shape.length - 1 ? "," : "");
      if (i < shape.length - 1) {
        sb.append(' ');
      }
    }
    return sb.append(')').toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 120) + "...";
  }
}

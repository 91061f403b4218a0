package org.streamfs.catalog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The catalog's key schema, written down once. Every LMDB database of the catalog and the layout of its
 * keys and values:
 *
 * <pre>
 * database      key                                        value
 * ------------  -----------------------------------------  -------------------------------------------
 * operations    id                                         JSON {"v":1, StreamingOperation fields}
 * chunks        id 0x00 index(int32, big-endian)           JSON {"v":1, ChunkMetadata fields}
 * saga          id 0x00 sequence(int64, big-endian)        JSON {"v":1, SagaStep fields}
 * meta          "schema-version"                           ASCII decimal, currently "1"
 * meta          "saga-sequence"                            int64 big-endian, last sequence handed out
 * table.NAME    chosen by the upper layer (1..511 bytes)   chosen by the upper layer
 * </pre>
 *
 * <p>{@code id} is an operation id: 1 to {@value #MAX_ID_BYTES} printable ASCII bytes (0x20-0x7e; the
 * engine uses 16 lower-case hex characters). It never contains 0x00, so {@code id 0x00} is a prefix of
 * exactly the chunk (or saga) keys of that one operation, and because LMDB compares keys as unsigned
 * bytes (memcmp) and indexes and sequences are non-negative fixed-width big-endian numbers, a prefix scan
 * returns an operation's chunks in index order and its saga steps in the order they were recorded. The
 * longest key is 64 + 1 + 8 = 73 bytes, well under LMDB's 511-byte limit. Keys are made and taken apart
 * only here.
 */
public final class Keys {
  /** The longest operation id, in bytes. */
  public static final int MAX_ID_BYTES = 64;
  /** LMDB's limit on key length (the default {@code MDB_MAXKEYSIZE}). */
  public static final int MAX_KEY_BYTES = 511;

  static final byte SEPARATOR = 0x00;
  static final String DB_OPERATIONS = "operations";
  static final String DB_CHUNKS = "chunks";
  static final String DB_SAGA = "saga";
  static final String DB_META = "meta";
  static final String TABLE_PREFIX = "table.";
  static final byte[] META_SCHEMA_VERSION = ascii("schema-version");
  static final byte[] META_SAGA_SEQUENCE = ascii("saga-sequence");

  private Keys() {}

  /** Key of an operation record: the id's bytes. */
  public static byte[] operation(String operationId) {
    return idBytes(operationId);
  }

  /** Key of one chunk record: id, 0x00, big-endian index. */
  public static byte[] chunk(String operationId, int index) {
    if (index < 0) {
      throw new IllegalArgumentException("negative chunk index " + index + " of operation " + operationId);
    }
    byte[] id = idBytes(operationId);
    return ByteBuffer.allocate(id.length + 1 + Integer.BYTES).put(id).put(SEPARATOR).putInt(index).array();
  }

  /** The prefix shared by all chunk keys (and all saga keys) of one operation: id, 0x00. */
  public static byte[] childPrefix(String operationId) {
    byte[] id = idBytes(operationId);
    byte[] prefix = Arrays.copyOf(id, id.length + 1);
    prefix[id.length] = SEPARATOR;
    return prefix;
  }

  /** Key of one saga step: id, 0x00, big-endian sequence. */
  public static byte[] saga(String operationId, long sequence) {
    if (sequence < 0) {
      throw new IllegalArgumentException("negative saga sequence " + sequence + " of operation "
          + operationId);
    }
    byte[] id = idBytes(operationId);
    return ByteBuffer.allocate(id.length + 1 + Long.BYTES).put(id).put(SEPARATOR).putLong(sequence).array();
  }

  /** The operation id a key of any of the three operation databases belongs to (bytes before 0x00). */
  static String operationIdOf(byte[] key) {
    int end = 0;
    while (end < key.length && key[end] != SEPARATOR) {
      end++;
    }
    return new String(key, 0, end, StandardCharsets.US_ASCII);
  }

  /** The chunk index in a chunk key, or -1 if the key does not have the chunk key's shape. */
  static int chunkIndexOf(byte[] key) {
    int sep = key.length - 1 - Integer.BYTES;
    if (sep < 1 || key[sep] != SEPARATOR) {
      return -1;
    }
    return ByteBuffer.wrap(key, sep + 1, Integer.BYTES).getInt();
  }

  /** The sequence in a saga key, or -1 if the key does not have the saga key's shape. */
  static long sagaSequenceOf(byte[] key) {
    int sep = key.length - 1 - Long.BYTES;
    if (sep < 1 || key[sep] != SEPARATOR) {
      return -1;
    }
    return ByteBuffer.wrap(key, sep + 1, Long.BYTES).getLong();
  }

  /** Checks an operation id and returns its bytes; the error names the id and the rule. */
  static byte[] idBytes(String operationId) {
    if (operationId == null || operationId.isEmpty() || operationId.length() > MAX_ID_BYTES) {
      throw new IllegalArgumentException("operation id must be 1 to " + MAX_ID_BYTES
          + " printable ASCII characters, got " + describe(operationId));
    }
    for (int i = 0; i < operationId.length(); i++) {
      char c = operationId.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new IllegalArgumentException("operation id must be 1 to " + MAX_ID_BYTES
            + " printable ASCII characters, got " + describe(operationId) + " (character "
            + String.format("U+%04X", (int) c) + " at " + i + ")");
      }
    }
    return operationId.getBytes(StandardCharsets.US_ASCII);
  }

  /** LMDB database name of an upper layer's table; names are 1..64 of {@code [a-z0-9._-]}. */
  static String tableDbName(String name) {
    if (name == null || !name.matches("[a-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("table name must be 1 to 64 of [a-z0-9._-], got "
          + describe(name));
    }
    return TABLE_PREFIX + name;
  }

  /** Checks an upper layer's key: 1 to 511 bytes. */
  static byte[] checkTableKey(byte[] key) {
    if (key == null || key.length == 0 || key.length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("table key must be 1 to " + MAX_KEY_BYTES + " bytes, got "
          + (key == null ? "null" : key.length + " bytes"));
    }
    return key;
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String describe(String s) {
    if (s == null) {
      return "null";
    }
    String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return "\"" + shown.replaceAll("\\p{Cntrl}", "?") + "\" (" + s.length() + " characters)";
  }
}

package org.streamfs.transfer.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The fixed 96-byte header at offset 0 of a sealed object (layout in FORMAT.md): format version, codec and
 * level, whether frames are encrypted, chunk size, the random per-object-version file id, the KDF
 * parameters and the key check value. Chunk size 0 means chunks of any size (the index records each). {@link #encode()} and {@link #decode} are exact inverses; decode
 * rejects anything it does not understand with a message naming the field.
 */
record SealedHeader(int version, Compression codec, int level, boolean encrypted, long chunkSize,
    byte[] fileId, KdfParams kdf, byte[] keyCheck) {

  static final int LENGTH = 96;
  static final int FORMAT_VERSION = 1;
  /** {@code \x89 S F S E A L \n}: the first bytes of every sealed object. */
  static final byte[] MAGIC = {(byte) 0x89, 'S', 'F', 'S', 'E', 'A', 'L', '\n'};

  SealedHeader {
    fileId = fileId.clone();
    keyCheck = keyCheck.clone();
    if (fileId.length != 16 || keyCheck.length != 32) {
      throw new IllegalArgumentException("file id must be 16 bytes and key check 32");
    }
  }

  @Override
  public byte[] fileId() {
    return fileId.clone();
  }

  @Override
  public byte[] keyCheck() {
    return keyCheck.clone();
  }

  String fileIdHex() {
    return HexFormat.of().formatHex(fileId);
  }

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH);
    b.put(MAGIC);
    b.put((byte) version).put((byte) codec.id()).put((byte) level).put((byte) (encrypted ? 1 : 0));
    b.put((byte) kdf.kdf()).put(new byte[3]);
    b.putLong(chunkSize);
    b.put(fileId);
    b.putInt(kdf.iterations()).putInt(0);
    b.put(kdf.salt());
    b.put(keyCheck);
    return b.array();
  }

  /** True if {@code b} starts with the sealed-object magic. */
  static boolean hasMagic(byte[] b) {
    return b.length >= MAGIC.length && Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  /** Parses a header; {@link IllegalArgumentException} names what is wrong. */
  static SealedHeader decode(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("header is " + bytes.length + " bytes, expected " + LENGTH);
    }
    if (!hasMagic(bytes)) {
      throw new IllegalArgumentException("no sealed-object magic at offset 0");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, MAGIC.length, LENGTH - MAGIC.length);
    int version = b.get() & 0xff;
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException("unsupported sealed format version " + version + " (this streamfs"
          + " reads version " + FORMAT_VERSION + ")");
    }
    Compression codec = Compression.ofId(b.get() & 0xff);
    int level = b.get();
    int flags = b.get() & 0xff;
    if ((flags & ~1) != 0) {
      throw new IllegalArgumentException("unknown header flags 0x" + Integer.toHexString(flags));
    }
    int kdfId = b.get() & 0xff;
    byte[] reserved = new byte[3];
    b.get(reserved);
    long chunkSize = b.getLong();
    byte[] fileId = new byte[16];
    b.get(fileId);
    int iterations = b.getInt();
    int reserved2 = b.getInt();
    byte[] salt = new byte[16];
    b.get(salt);
    byte[] check = new byte[32];
    b.get(check);
    if (reserved[0] != 0 || reserved[1] != 0 || reserved[2] != 0 || reserved2 != 0) {
      throw new IllegalArgumentException("reserved header bytes are not zero");
    }
    if (chunkSize < 0 || chunkSize > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("chunk size " + chunkSize + " out of range");
    }
    if (kdfId > KdfParams.PBKDF2_SHA256 || (kdfId != KdfParams.NO_KDF && flags == 0)) {
      throw new IllegalArgumentException("unknown KDF id " + kdfId);
    }
    return new SealedHeader(version, codec, level, flags == 1, chunkSize, fileId,
        new KdfParams(kdfId, iterations, salt), check);
  }
}

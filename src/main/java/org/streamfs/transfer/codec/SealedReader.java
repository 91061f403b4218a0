package org.streamfs.transfer.codec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.Sha256;

/**
 * The read side of the sealed format for one object version. {@link #open} reads the footer, header and
 * index (two small ranged reads, held for the reader's life), refuses a wrong key through the key check
 * value, and checks the index's authenticity and consistency; {@link #readChunk} then fetches one frame
 * with one ranged read and returns its plaintext only after the GCM tag (when encrypted) and the plaintext
 * SHA-256 verified. Every integrity failure is a {@link ChecksumMismatchException} naming the object and
 * chunk (-1 for the object's header, index or footer); a wrong secret is a {@link WrongKeyException}.
 * Thread-safe after open.
 */
public final class SealedReader {
  /** First read at open: enough for the footer and the index of a few hundred chunks. */
  static final int TAIL_READ = 64 * 1024;

  private final String name;
  private final RangeReader source;
  private final SealedHeader header;
  private final SealedKeys keys;
  private final long fileSize;
  private final List<SealedIndex.Entry> entries;
  private final long[] plainOffsets;

  private SealedReader(String name, RangeReader source, SealedHeader header, SealedKeys keys, long fileSize,
      List<SealedIndex.Entry> entries, long[] plainOffsets) {
    this.plainOffsets = plainOffsets;
    this.name = name;
    this.source = source;
    this.header = header;
    this.keys = keys;
    this.fileSize = fileSize;
    this.entries = entries;
  }

  /** True if the object's metadata marks it sealed ({@code streamfs-format=sealed-v1}). */
  public static boolean isSealed(Map<String, String> metadata) {
    return ObjectCodec.FORMAT_VALUE.equals(metadata.get(ObjectCodec.FORMAT_KEY));
  }

  /** True if these first bytes of an object are the sealed-object magic. */
  public static boolean hasMagic(byte[] firstBytes) {
    return SealedHeader.hasMagic(firstBytes);
  }

  /**
   * The file size a sealed object's footer records (one 48-byte read, no key needed), or -1 if the object
   * does not end with a sealed footer (it is plain, or truncated). Not authenticated: {@link #open} is.
   */
  public static long peekSize(long objectSize, RangeReader source) throws IOException {
    if (objectSize < SealedHeader.LENGTH + SealedIndex.FOOTER_LENGTH) {
      return -1;
    }
    byte[] f = source.read(objectSize - SealedIndex.FOOTER_LENGTH, SealedIndex.FOOTER_LENGTH);
    try {
      SealedIndex.Footer footer = SealedIndex.decodeFooter(f == null ? new byte[0] : f);
      return footer.fileSize();
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  /**
   * Opens a sealed object of {@code objectSize} stored bytes. {@code key} may be null for an object that
   * is not encrypted. {@code name} is used in messages (the key of the object, never a secret).
   */
  public static SealedReader open(String name, long objectSize, RangeReader source, KeyMaterial key)
      throws IOException {
    int minimum = SealedHeader.LENGTH + SealedIndex.FOOTER_LENGTH;
    if (objectSize < minimum) {
      throw corrupt(name, "object is " + objectSize + " bytes, shorter than any sealed object ("
          + minimum + "): truncated or not sealed");
    }
    int tailLen = (int) Math.min(objectSize, TAIL_READ);
    long tailAt = objectSize - tailLen;
    byte[] tail = readFully(name, source, tailAt, tailLen);
    SealedIndex.Footer footer;
    try {
      footer = SealedIndex.decodeFooter(Arrays.copyOfRange(tail, tailLen - SealedIndex.FOOTER_LENGTH,
          tailLen));
    } catch (IllegalArgumentException e) {
      throw corrupt(name, e.getMessage());
    }
    if (footer.indexOffset() < SealedHeader.LENGTH
        || footer.indexOffset() + footer.indexLength() + SealedIndex.FOOTER_LENGTH != objectSize) {
      throw corrupt(name, "footer places the index at " + footer.indexOffset() + "+" + footer.indexLength()
          + " in a " + objectSize + "-byte object (truncated or extended)");
    }
    long maxChunks = (footer.indexOffset() - SealedHeader.LENGTH) / ObjectCodec.FRAME_HEADER;
    long maxIndex = SealedIndex.BODY_PREFIX + SealedIndex.ENTRY_LENGTH * maxChunks + SealedKeys.NONCE_LENGTH
        + 32;
    if (footer.indexLength() > maxIndex) {
      throw corrupt(name, "footer claims a " + footer.indexLength() + "-byte index, more than "
          + maxIndex + " bytes of frames can need");
    }
    byte[] headerBytes = tailAt == 0 ? Arrays.copyOf(tail, SealedHeader.LENGTH)
        : readFully(name, source, 0, SealedHeader.LENGTH);
    SealedHeader header;
    try {
      header = SealedHeader.decode(headerBytes);
    } catch (IllegalArgumentException e) {
      throw corrupt(name, "bad header: " + e.getMessage());
    }
    if (!Arrays.equals(header.fileId(), footer.fileId())) {
      throw corrupt(name, "header (file id " + header.fileIdHex() + ") and footer belong to different"
          + " object versions");
    }
    SealedKeys keys = null;
    if (header.encrypted()) {
      if (key == null) {
        throw new WrongKeyException(name, "it is encrypted; give the key with --encrypt-key-file");
      }
      keys = new SealedKeys(key.masterKey(header.kdf(), name), header.fileId());
      if (!keys.matches(header.keyCheck())) {
        throw new WrongKeyException(name, "wrong key or passphrase (the key check value in its header does"
            + " not match)");
      }
    }
    byte[] stored;
    if (footer.indexOffset() >= tailAt) {
      int at = (int) (footer.indexOffset() - tailAt);
      stored = Arrays.copyOfRange(tail, at, at + footer.indexLength());
    } else {
      stored = readFully(name, source, footer.indexOffset(), footer.indexLength());
    }
    byte[] body = SealedIndex.open(headerBytes, stored, keys);
    if (body == null) {
      throw new ChecksumMismatchException(name, -1, "authentic index (" + (keys != null ? "AES-GCM tag"
          : "SHA-256") + ")", "index altered, or from another object version");
    }
    List<SealedIndex.Entry> entries;
    long[] plainOffsets;
    try {
      entries = SealedIndex.decodeBody(body, footer.fileSize(), header.chunkSize());
      plainOffsets = checkLayout(entries, footer.fileSize(), header.chunkSize(), footer.indexOffset());
    } catch (IllegalArgumentException e) {
      throw corrupt(name, "inconsistent index: " + e.getMessage());
    }
    return new SealedReader(name, source, header, keys, footer.fileSize(),
        Collections.unmodifiableList(new ArrayList<>(entries)), plainOffsets);
  }

  /** Checks the entries tile the object and the file; returns each chunk's plaintext offset (+ the end). */
  private static long[] checkLayout(List<SealedIndex.Entry> entries, long fileSize, long chunkSize,
      long indexOffset) {
    if (chunkSize > 0 && entries.size() != new ChunkLayout(fileSize, chunkSize).chunkCount()) {
      throw new IllegalArgumentException(entries.size() + " entries for a " + fileSize + "-byte file");
    }
    long[] plainOffsets = new long[entries.size() + 1];
    long expect = SealedHeader.LENGTH;
    long plain = 0;
    int previous = -1;
    for (int i = 0; i < entries.size(); i++) {
      SealedIndex.Entry e = entries.get(i);
      boolean frameOk = chunkSize > 0 ? e.frame() == i : e.frame() > previous && (i > 0 || e.frame() == 0);
      boolean sizeOk = chunkSize > 0 ? e.plaintextLength() == Math.min(chunkSize, fileSize - plain)
          : e.plaintextLength() >= 0;
      if (!frameOk || !sizeOk || e.offset() != expect || e.regionLength() < ObjectCodec.FRAME_HEADER) {
        throw new IllegalArgumentException("entry " + i + " does not fit the layout");
      }
      previous = e.frame();
      plainOffsets[i] = plain;
      plain += e.plaintextLength();
      expect += e.regionLength();
    }
    plainOffsets[entries.size()] = plain;
    if (expect != indexOffset || plain != fileSize) {
      throw new IllegalArgumentException("frames end at " + expect + " holding " + plain + " bytes; index"
          + " starts at " + indexOffset + ", file has " + fileSize);
    }
    return plainOffsets;
  }

  /** Plaintext offset of chunk {@code index} in the file ({@code chunkCount()} gives the file size). */
  public long chunkOffset(int index) {
    return plainOffsets[index];
  }

  /** The chunk holding file position {@code position} (0 <= position < size()). */
  public int chunkAt(long position) {
    if (position < 0 || position >= fileSize) {
      throw new IndexOutOfBoundsException("position " + position + " in a " + fileSize + "-byte file");
    }
    int i = java.util.Arrays.binarySearch(plainOffsets, 0, entries.size(), position);
    if (i < 0) {
      return -i - 2;
    }
    while (i + 1 < entries.size() && plainOffsets[i + 1] == position) {
      i++; // skip empty chunks
    }
    return i;
  }

  /** Size of the file (plaintext bytes). */
  public long size() {
    return fileSize;
  }

  /** The chunk size, or 0 if chunks vary in size (see {@link #chunkOffset}). */
  public long chunkSize() {
    return header.chunkSize();
  }

  public int chunkCount() {
    return entries.size();
  }

  public boolean encrypted() {
    return header.encrypted();
  }

  public Compression compression() {
    return header.codec();
  }

  /** The random id of this object version (hex). */
  public String fileId() {
    return header.fileIdHex();
  }

  /** Plaintext SHA-256 (hex) of every chunk, from the authenticated index: a manifest for the engine. */
  public List<String> chunkSha256() {
    List<String> l = new ArrayList<>(entries.size());
    for (SealedIndex.Entry e : entries) {
      l.add(Sha256.hex(e.sha256()));
    }
    return l;
  }

  /** Verified plaintext of chunk {@code index} (a read-only buffer of the chunk's size). */
  public ByteBuffer readChunk(int index) throws IOException {
    if (index < 0 || index >= entries.size()) {
      throw new IndexOutOfBoundsException("chunk " + index + " of " + entries.size() + " in " + name);
    }
    SealedIndex.Entry e = entries.get(index);
    byte[] region = readFully(name, source, e.offset(), e.regionLength());
    ByteBuffer h = ByteBuffer.wrap(region, 0, ObjectCodec.FRAME_HEADER);
    int flags = h.get() & 0xff;
    int reserved = (h.get() << 16) | (h.get() << 8) | h.get();
    int plain = h.getInt();
    int payload = h.getInt();
    boolean compressed = (flags & ObjectCodec.FLAG_COMPRESSED) != 0;
    boolean enc = (flags & ObjectCodec.FLAG_ENCRYPTED) != 0;
    int nonceLen = enc ? SealedKeys.NONCE_LENGTH : 0;
    int at = ObjectCodec.FRAME_HEADER + nonceLen;
    if ((flags & ~3) != 0 || reserved != 0 || enc != header.encrypted() || plain != e.plaintextLength()
        || payload < 0 || (long) at + payload > region.length
        || (compressed && header.codec() == Compression.NONE)) {
      throw frameCorrupt(index, "frame header does not match the index");
    }
    for (int i = at + payload; i < region.length; i++) {
      if (region[i] != 0) {
        throw frameCorrupt(index, "non-zero padding after the frame");
      }
    }
    int stored = payload;
    if (enc) {
      byte[] nonce = Arrays.copyOfRange(region, ObjectCodec.FRAME_HEADER, at);
      stored = keys.decrypt(nonce, ObjectCodec.frameAad(header.fileId(), e.frame(), region, 0), region, at,
          payload);
      if (stored < 0) {
        throw new ChecksumMismatchException(name, index, "authentic frame (AES-GCM tag)",
            "tag mismatch: frame altered, moved, or from another object or version");
      }
    }
    byte[] out;
    int outOff;
    if (compressed) {
      out = new byte[plain];
      outOff = 0;
      try {
        header.codec().decompress(region, at, stored, out);
      } catch (DataFormatException ex) {
        throw frameCorrupt(index, "cannot decompress: " + ex.getMessage());
      }
    } else {
      if (stored != plain) {
        throw frameCorrupt(index, "raw frame holds " + stored + " bytes, expected " + plain);
      }
      out = region;
      outOff = at;
    }
    ByteBuffer result = ByteBuffer.wrap(out, outOff, plain).slice();
    byte[] actual = Sha256.digest(result);
    if (!Arrays.equals(actual, e.sha256())) {
      throw new ChecksumMismatchException(name, index, Sha256.hex(e.sha256()), Sha256.hex(actual));
    }
    return result.asReadOnlyBuffer();
  }

  /** Copies verified chunk {@code index} into {@code dst} (from its position; advances it). */
  public void readChunk(int index, ByteBuffer dst) throws IOException {
    dst.put(readChunk(index));
  }

  private ChecksumMismatchException frameCorrupt(int index, String why) {
    return new ChecksumMismatchException(name, index, "well-formed frame", why);
  }

  private static ChecksumMismatchException corrupt(String name, String why) {
    return new ChecksumMismatchException(name, -1, "well-formed sealed object", why);
  }

  private static byte[] readFully(String name, RangeReader source, long offset, int length)
      throws IOException {
    byte[] b = source.read(offset, length);
    if (b == null || b.length != length) {
      throw corrupt(name, "read of " + length + " bytes at " + offset + " returned "
          + (b == null ? 0 : b.length) + " (object truncated or changed)");
    }
    return b;
  }

  @Override
  public String toString() {
    return "SealedReader[" + name + ", file id " + fileId() + ", " + entries.size() + " chunks]";
  }
}

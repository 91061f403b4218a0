package org.streamfs.transfer.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.Sha256;

/**
 * The upload side of the sealed format for one object version: seals chunk {@code i} into the payload of
 * multipart part {@code i + 1} ({@link #sealChunk}) and writes the index and footer as the final part
 * ({@link #finish}). A new codec draws a fresh random file id (and so a fresh data key); a resumed upload
 * rebuilds the same codec from {@link #headerToken()}, which the engine keeps in its catalog. Thread-safe:
 * chunks may be sealed in parallel and in any order, and a chunk may be sealed again (a fresh random nonce
 * each time).
 */
public final class ObjectCodec {
  /** Object metadata key/value marking a sealed object (set at upload; readers may also sniff the magic). */
  public static final String FORMAT_KEY = "streamfs-format";
  public static final String FORMAT_VALUE = "sealed-v1";
  /** Frame header length; an encrypted frame adds a 12-byte nonce and a 16-byte tag. */
  public static final int FRAME_HEADER = 12;
  /** Largest chunk a frame holds (room for header, frame header, nonce and tag in one Java array). */
  public static final int MAX_CHUNK = Integer.MAX_VALUE - 4096;
  static final int FLAG_COMPRESSED = 1;
  static final int FLAG_ENCRYPTED = 2;
  static final byte[] FRAME_DOMAIN = "streamfs sealed-v1 frame".getBytes(StandardCharsets.US_ASCII);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final CodecOptions options;
  private final SealedHeader header;
  private final byte[] headerBytes;
  private final SealedKeys keys;
  private final long minPartSize;

  private ObjectCodec(CodecOptions options, SealedHeader header, SealedKeys keys, long minPartSize) {
    this.options = options;
    this.header = header;
    this.headerBytes = header.encode();
    this.keys = keys;
    this.minPartSize = Math.max(1, minPartSize);
  }

  /**
   * A codec for a new object version. {@code minPartSize} is the store's minimum size of a non-final part
   * ({@code store.limits().minPartSize()}; 1 = none): frames are padded up to it because the index is
   * always the final part. Use 1 when the object is written with a single {@code put}.
   */
  public static ObjectCodec create(CodecOptions options, long chunkSize, long minPartSize) {
    if (options.isPlain()) {
      throw new IllegalArgumentException("plain mode writes the file's bytes as they are: no codec");
    }
    if (chunkSize < 0 || chunkSize > MAX_CHUNK) {
      throw new IllegalArgumentException("sealed chunk size must be 1.." + MAX_CHUNK
          + " bytes (0 = any size per chunk), got " + chunkSize);
    }
    byte[] fileId = new byte[16];
    RANDOM.nextBytes(fileId);
    KdfParams kdf = KdfParams.NONE;
    SealedKeys keys = null;
    byte[] check = new byte[32];
    if (options.encrypting()) {
      kdf = options.key().writeParams();
      try {
        keys = new SealedKeys(options.key().masterKey(kdf, "new object"), fileId);
      } catch (WrongKeyException e) {
        throw new IllegalStateException(e.getMessage(), e); // cannot happen: writeParams matches the secret
      }
      check = keys.keyCheck();
    }
    SealedHeader h = new SealedHeader(SealedHeader.FORMAT_VERSION, options.compression(), options.level(),
        options.encrypting(), chunkSize, fileId, kdf, check);
    return new ObjectCodec(options, h, keys, minPartSize);
  }

  /**
   * The codec of an upload in progress, from the token {@link #headerToken()} returned when it began: same
   * file id, KDF parameters and chunk size, so parts sealed before and after a restart form one object.
   * Throws {@link WrongKeyException} if the options' secret is not the one the upload began with.
   */
  public static ObjectCodec resume(CodecOptions options, String headerToken, long minPartSize)
      throws WrongKeyException {
    SealedHeader h;
    try {
      h = SealedHeader.decode(Base64.getUrlDecoder().decode(headerToken));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a sealed upload token: " + e.getMessage(), e);
    }
    SealedKeys keys = null;
    if (h.encrypted()) {
      if (!options.encrypting()) {
        throw new WrongKeyException("upload in progress", "it was begun with encryption; give the same key");
      }
      keys = new SealedKeys(options.key().masterKey(h.kdf(), "upload in progress"), h.fileId());
      if (!keys.matches(h.keyCheck())) {
        throw new WrongKeyException("upload in progress", "the key differs from the one the upload began"
            + " with (key check value mismatch)");
      }
    }
    CodecOptions effective = new CodecOptions(h.codec(), h.level(), options.key());
    return new ObjectCodec(effective, h, keys, minPartSize);
  }

  /**
   * URL-safe base64 of the header (not secret: the same bytes are stored in the object): persist it with
   * the upload so {@link #resume} can continue it.
   */
  public String headerToken() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(headerBytes);
  }

  /** The random id of this object version (hex). */
  public String fileId() {
    return header.fileIdHex();
  }

  public long chunkSize() {
    return header.chunkSize();
  }

  public CodecOptions options() {
    return options;
  }

  /** Metadata to add to the object so readers know it is sealed. */
  public static Map<String, String> formatMetadata() {
    return Map.of(FORMAT_KEY, FORMAT_VALUE);
  }

  /** Seals chunk {@code index}; computes the plaintext SHA-256. */
  public SealedFrame sealChunk(int index, ByteBuffer plaintext) {
    return sealChunk(index, plaintext, null);
  }

  /**
   * Seals the remaining bytes of {@code plaintext} (position unchanged) as chunk {@code index}.
   * {@code sha256} is its plaintext digest if the caller already computed it (else null).
   */
  public SealedFrame sealChunk(int index, ByteBuffer plaintext, byte[] sha256) {
    int n = plaintext.remaining();
    boolean fixed = header.chunkSize() > 0;
    if (index < 0 || (fixed && (n > header.chunkSize() || n == 0)) || n > MAX_CHUNK) {
      throw new IllegalArgumentException("chunk " + index + " of " + n + " bytes: chunks hold 1.."
          + (fixed ? header.chunkSize() : MAX_CHUNK) + " bytes");
    }
    byte[] digest = sha256 != null ? sha256 : Sha256.digest(plaintext);
    byte[] src;
    int srcOff;
    if (plaintext.hasArray()) {
      src = plaintext.array();
      srcOff = plaintext.arrayOffset() + plaintext.position();
    } else {
      src = new byte[n];
      plaintext.duplicate().get(src);
      srcOff = 0;
    }
    int prefix = index == 0 ? SealedHeader.LENGTH : 0;
    int nonceLen = keys != null ? SealedKeys.NONCE_LENGTH : 0;
    int tagLen = keys != null ? SealedKeys.TAG_LENGTH : 0;
    int payloadAt = prefix + FRAME_HEADER + nonceLen;
    int frameEnd = payloadAt + n + tagLen;
    byte[] part = new byte[(int) Math.max(frameEnd, Math.min(minPartSize, Integer.MAX_VALUE))];
    if (prefix > 0) {
      System.arraycopy(headerBytes, 0, part, 0, prefix);
    }
    int flags = 0;
    int stored = -1;
    if (options.compressing()) {
      stored = options.compression().compress(options.level(), src, srcOff, n, part, payloadAt, n - 1);
    }
    if (stored > 0) {
      flags |= FLAG_COMPRESSED;
    } else {
      System.arraycopy(src, srcOff, part, payloadAt, n);
      stored = n;
    }
    if (keys != null) {
      flags |= FLAG_ENCRYPTED;
    }
    ByteBuffer.wrap(part, prefix, FRAME_HEADER).put((byte) flags).put(new byte[3]).putInt(n)
        .putInt(stored + tagLen);
    if (keys != null) {
      byte[] nonce = new byte[SealedKeys.NONCE_LENGTH];
      RANDOM.nextBytes(nonce);
      System.arraycopy(nonce, 0, part, prefix + FRAME_HEADER, nonceLen);
      keys.encrypt(nonce, frameAad(header.fileId(), index, part, prefix), part, payloadAt, stored);
    }
    int used = payloadAt + stored + tagLen;
    // zero-fill beyond the frame is already there (fresh array); the part is at least minPartSize
    int partLen = Math.max(used, (int) Math.min(minPartSize, part.length));
    ByteBuffer out = ByteBuffer.wrap(part, 0, partLen).slice();
    return new SealedFrame(out, new FrameInfo(index, partLen, n, Sha256.hex(digest)));
  }

  /** Associated data of frame {@code index}: domain, file id, chunk index and the 12-byte frame header. */
  static byte[] frameAad(byte[] fileId, long index, byte[] buf, int frameHeaderAt) {
    ByteBuffer aad = ByteBuffer.allocate(FRAME_DOMAIN.length + 16 + 8 + FRAME_HEADER);
    aad.put(FRAME_DOMAIN).put(fileId).putLong(index).put(buf, frameHeaderAt, FRAME_HEADER);
    return aad.array();
  }

  /**
   * The final part: index and footer (preceded by the header when the file is empty and no chunk part
   * exists). {@code frames} describe the object's chunks, in any order: with a fixed chunk size exactly
   * chunks 0..n-1 of a {@code fileSize}-byte file; with chunk size 0 any distinct frame numbers (frames
   * then follow in ascending order, the first must be frame 0, which carries the header) whose plaintext
   * lengths add up to {@code fileSize}.
   */
  public ByteBuffer finish(long fileSize, List<FrameInfo> frames) {
    List<FrameInfo> sorted = new ArrayList<>(frames);
    sorted.sort(java.util.Comparator.comparingInt(FrameInfo::index));
    int count = sorted.size();
    if (header.chunkSize() > 0) {
      ChunkLayout layout = new ChunkLayout(fileSize, header.chunkSize());
      if (count != layout.chunkCount()) {
        throw new IllegalArgumentException("a " + fileSize + "-byte file has " + layout.chunkCount()
            + " chunks, got " + count + " frame records");
      }
      for (int i = 0; i < count; i++) {
        FrameInfo f = sorted.get(i);
        if (f.index() != i) {
          throw new IllegalArgumentException("frame record " + i + " is missing or repeated");
        }
        if (f.plaintextLength() != layout.size(i)) {
          throw new IllegalArgumentException("frame " + i + " holds " + f.plaintextLength()
              + " bytes, the layout says " + layout.size(i));
        }
      }
    } else if (count > 0 && sorted.get(0).index() != 0) {
      throw new IllegalArgumentException("part 1 (frame 0, which carries the header) must be in the object");
    }
    List<SealedIndex.Entry> entries = new ArrayList<>(count);
    long offset = SealedHeader.LENGTH;
    long total = 0;
    int previous = -1;
    for (int i = 0; i < count; i++) {
      FrameInfo f = sorted.get(i);
      if (f.index() == previous) {
        throw new IllegalArgumentException("frame record " + f.index() + " is repeated");
      }
      previous = f.index();
      long region = f.partLength() - (i == 0 ? SealedHeader.LENGTH : 0);
      if (region < FRAME_HEADER || region > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("frame " + f.index() + " part length " + f.partLength()
            + " cannot hold a frame");
      }
      entries.add(new SealedIndex.Entry(f.index(), offset, (int) region, f.plaintextLength(),
          Sha256.fromHex(f.sha256Hex())));
      offset += region;
      total += f.plaintextLength();
    }
    if (total != fileSize) {
      throw new IllegalArgumentException("frames hold " + total + " bytes, the file has " + fileSize);
    }
    byte[] body = SealedIndex.encodeBody(fileSize, header.chunkSize(), entries);
    byte[] nonce = new byte[SealedKeys.NONCE_LENGTH];
    RANDOM.nextBytes(nonce);
    byte[] index = SealedIndex.seal(headerBytes, body, keys, nonce);
    byte[] footer = SealedIndex.encodeFooter(offset, index.length, fileSize, header.fileId());
    int prefix = count == 0 ? SealedHeader.LENGTH : 0;
    ByteBuffer out = ByteBuffer.allocate(prefix + index.length + footer.length);
    if (prefix > 0) {
      out.put(headerBytes);
    }
    return out.put(index).put(footer).flip();
  }

  @Override
  public String toString() {
    return "ObjectCodec[file id " + fileId() + ", " + options + "]";
  }
}

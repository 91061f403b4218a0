package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.streamfs.model.ChecksumMismatchException;

/**
 * What the store operator (or a broken store) can do to a sealed object, and that each is detected as a
 * {@link ChecksumMismatchException} naming the chunk — never wrong bytes: a flipped byte anywhere, two
 * frames swapped, the object truncated, a frame spliced in from another file, the index tampered with,
 * parts of two versions of one file mixed. Run for compression only, encryption only and both.
 */
class SealedTamperTest {
  static final KeyMaterial KEY = Sealed.key(7);
  static final int CHUNK = 1000;

  static List<CodecOptions> modes() {
    return List.of(new CodecOptions(Compression.ZSTD, 3, null), new CodecOptions(Compression.NONE, 0, KEY),
        new CodecOptions(Compression.DEFLATE, 6, KEY));
  }

  /** Random data so that every frame has the same length (swaps and splices keep the layout). */
  static byte[] data(long seed) {
    return Sealed.random(CHUNK * 5 + 123, seed);
  }

  static byte[] part(Sealed s, int i) {
    return Arrays.copyOfRange(s.object, s.partOffsets.get(i).intValue(), s.partOffsets.get(i + 1).intValue());
  }

  static int chunkOf(Sealed s, int i) {
    return (int) (s.partOffsets.get(i) + (i == 0 ? SealedHeader.LENGTH : 0));
  }

  static void assertChunkRejected(byte[] object, KeyMaterial key, int chunk) throws IOException {
    SealedReader r = Sealed.open(object, key);
    ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> r.readChunk(chunk));
    assertEquals(chunk, e.chunkIndex(), e.getMessage());
    assertTrue(e.getMessage().contains("test/object"), e.getMessage());
  }

  @ParameterizedTest
  @MethodSource("modes")
  void flippedByteInEveryFramePositionIsDetected(CodecOptions opts) throws Exception {
    byte[] data = data(1);
    Sealed s = Sealed.seal(opts, CHUNK, 1, data);
    int start = chunkOf(s, 2);
    int end = s.partOffsets.get(3).intValue();
    for (int pos = start; pos < end; pos += 7) {
      byte[] t = s.object.clone();
      t[pos] ^= 0x20;
      assertChunkRejected(t, opts.key(), 2);
    }
  }

  @ParameterizedTest
  @MethodSource("modes")
  void swappedFramesAreDetected(CodecOptions opts) throws Exception {
    Sealed s = Sealed.seal(opts, CHUNK, 1, data(2));
    byte[] p1 = part(s, 1);
    byte[] p2 = part(s, 2);
    assertEquals(p1.length, p2.length);
    byte[] t = s.object.clone();
    System.arraycopy(p2, 0, t, s.partOffsets.get(1).intValue(), p2.length);
    System.arraycopy(p1, 0, t, s.partOffsets.get(2).intValue(), p1.length);
    assertChunkRejected(t, opts.key(), 1);
    assertChunkRejected(t, opts.key(), 2);
  }

  @ParameterizedTest
  @MethodSource("modes")
  void truncatedOrExtendedObjectIsRejectedAtOpen(CodecOptions opts) throws Exception {
    Sealed s = Sealed.seal(opts, CHUNK, 1, data(3));
    for (int cut : new int[] {1, 47, 48, 49, s.object.length / 2, s.object.length - 144}) {
      byte[] t = Arrays.copyOf(s.object, s.object.length - cut);
      ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> Sealed.open(t, opts.key()));
      assertEquals(-1, e.chunkIndex());
    }
    // the index part (the last part) dropped: the object ends after the frames
    byte[] noIndex = Arrays.copyOf(s.object, s.partOffsets.get(s.partOffsets.size() - 1).intValue());
    assertThrows(ChecksumMismatchException.class, () -> Sealed.open(noIndex, opts.key()));
    byte[] longer = Arrays.copyOf(s.object, s.object.length + 10);
    assertThrows(ChecksumMismatchException.class, () -> Sealed.open(longer, opts.key()));
    // a reader whose ranged read comes back short (object replaced meanwhile) reports, never pads
    SealedReader r = Sealed.open(s.object, opts.key());
    SealedReader shortReads = SealedReader.open("test/object", s.object.length,
        (off, len) -> off > 0 && len < 2000 && off < s.partOffsets.get(5) ? Arrays.copyOf(
            Arrays.copyOfRange(s.object, (int) off, (int) off + len), len - 1) : Arrays.copyOfRange(s.object,
            (int) off, (int) off + len), opts.key());
    assertEquals(r.chunkCount(), shortReads.chunkCount());
    assertThrows(ChecksumMismatchException.class, () -> shortReads.readChunk(3));
  }

  @ParameterizedTest
  @MethodSource("modes")
  void frameFromAnotherFileIsDetected(CodecOptions opts) throws Exception {
    Sealed a = Sealed.seal(opts, CHUNK, 1, data(4));
    Sealed b = Sealed.seal(opts, CHUNK, 1, data(5));
    byte[] t = a.object.clone();
    byte[] foreign = part(b, 3);
    System.arraycopy(foreign, 0, t, a.partOffsets.get(3).intValue(), foreign.length);
    assertChunkRejected(t, opts.key(), 3);
    // the same chunk index, same plaintext, but another object: encrypted frames are bound to their file
    if (opts.encrypting()) {
      byte[] same = data(4);
      Sealed c = Sealed.seal(opts, CHUNK, 1, same);
      byte[] t2 = a.object.clone();
      byte[] twin = part(c, 3);
      System.arraycopy(twin, 0, t2, a.partOffsets.get(3).intValue(), twin.length);
      assertChunkRejected(t2, opts.key(), 3);
    }
  }

  @ParameterizedTest
  @MethodSource("modes")
  void tamperedIndexOrHeaderIsRejectedAtOpen(CodecOptions opts) throws Exception {
    Sealed s = Sealed.seal(opts, CHUNK, 1, data(6));
    int indexAt = s.partOffsets.get(s.partOffsets.size() - 1).intValue();
    int indexEnd = s.object.length - SealedIndex.FOOTER_LENGTH;
    for (int pos = indexAt; pos < indexEnd; pos += 5) {
      byte[] t = s.object.clone();
      t[pos] ^= 1;
      ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> Sealed.open(t, opts.key()));
      assertEquals(-1, e.chunkIndex());
    }
    // header fields (codec, level, chunk size) are bound into the index's authentication
    for (int pos : new int[] {9, 10, 16, 23}) {
      byte[] t = s.object.clone();
      t[pos] ^= 1;
      assertThrows(ChecksumMismatchException.class, () -> Sealed.open(t, opts.key()));
    }
  }

  @ParameterizedTest
  @MethodSource("modes")
  void versionsOfOneFileCannotBeMixed(CodecOptions opts) throws Exception {
    byte[] v1 = data(8);
    byte[] v2 = v1.clone();
    v2[2500] ^= 1; // the overwrite changed chunk 2 only
    Sealed a = Sealed.seal(opts, CHUNK, 1, v1);
    Sealed b = Sealed.seal(opts, CHUNK, 1, v2);
    assertEquals(a.object.length, b.object.length);
    int indexAt = a.partOffsets.get(a.partOffsets.size() - 1).intValue();
    // v2's frames under v1's header, index and footer
    byte[] t = a.object.clone();
    System.arraycopy(b.object, SealedHeader.LENGTH, t, SealedHeader.LENGTH, indexAt - SealedHeader.LENGTH);
    assertChunkRejected(t, opts.key(), 2);
    // v2's header with v1's frames, index and footer: file ids disagree
    byte[] h = a.object.clone();
    System.arraycopy(b.object, 0, h, 0, SealedHeader.LENGTH);
    assertThrows(ChecksumMismatchException.class, () -> Sealed.open(h, opts.key()));
    // v1's index and footer with v2's header and frames
    byte[] i = b.object.clone();
    System.arraycopy(a.object, indexAt, i, indexAt, a.object.length - indexAt);
    assertThrows(ChecksumMismatchException.class, () -> Sealed.open(i, opts.key()));
    // v1's index (re-labelled with v2's file id in the footer): authenticated against v2's header
    byte[] j = i.clone();
    System.arraycopy(b.object, b.object.length - 24, j, j.length - 24, 16);
    assertThrows(ChecksumMismatchException.class, () -> Sealed.open(j, opts.key()));
  }

  /** A fuzzer over the whole object: every result is either the exact data or a reported error. */
  @ParameterizedTest
  @MethodSource("modes")
  void randomCorruptionNeverYieldsWrongBytes(CodecOptions opts) throws Exception {
    byte[] data = Sealed.text(CHUNK * 4 + 17, 11);
    Sealed s = Sealed.seal(opts, CHUNK, 1, data);
    Random rnd = new Random(42);
    for (int trial = 0; trial < 300; trial++) {
      byte[] t = s.object.clone();
      int flips = 1 + rnd.nextInt(3);
      for (int k = 0; k < flips; k++) {
        t[rnd.nextInt(t.length)] ^= (byte) (1 + rnd.nextInt(255));
      }
      try {
        SealedReader r = Sealed.open(t, opts.key());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int c = 0; c < r.chunkCount(); c++) {
          try {
            byte[] b = new byte[r.readChunk(c).remaining()];
            r.readChunk(c).get(b);
            out.writeBytes(b);
          } catch (ChecksumMismatchException expected) {
            out.writeBytes(Arrays.copyOfRange(data, c * CHUNK, Math.min(data.length, (c + 1) * CHUNK)));
          }
        }
        assertArrayEquals(data, out.toByteArray(), "trial " + trial + " returned wrong bytes");
      } catch (ChecksumMismatchException | WrongKeyException expected) {
        // reported: fine
      } catch (RuntimeException e) {
        fail("trial " + trial + ": unexpected " + e, e);
      }
    }
  }
}

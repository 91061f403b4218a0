package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.Sha256;

/**
 * Round trips of the sealed format: every mode (compress with zstd or deflate, encrypt, both) over chunk
 * sizes from 1 byte to 1 MiB and file sizes around chunk boundaries, with and without part padding; each
 * chunk read alone, in random order, with one small read per chunk after open.
 */
class SealedRoundTripTest {

  static final KeyMaterial KEY = Sealed.key(1);

  static List<CodecOptions> modes() {
    return List.of(
        new CodecOptions(Compression.ZSTD, 3, null),
        new CodecOptions(Compression.DEFLATE, 6, null),
        new CodecOptions(Compression.NONE, 0, KEY),
        new CodecOptions(Compression.ZSTD, 1, KEY),
        new CodecOptions(Compression.DEFLATE, 1, KEY));
  }

  static Stream<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (CodecOptions m : modes()) {
      for (long cs : new long[] {1, 7, 64 * 1024, 1024 * 1024}) {
        List<Long> sizes = new ArrayList<>(List.of(0L, 1L, cs - 1, cs, cs + 1, 3 * cs + 2));
        sizes.removeIf(s -> s < 0 || s > 3 * 1024 * 1024 + 2);
        for (long size : sizes.stream().distinct().toList()) {
          a.add(Arguments.of(m, cs, size, 1L));
        }
      }
      a.add(Arguments.of(m, 7L, 50L, 64L)); // padded parts (store minimum part size)
      a.add(Arguments.of(m, 64 * 1024L, 200_000L, 128 * 1024L));
    }
    return a.stream();
  }

  @ParameterizedTest(name = "{0} chunk={1} size={2} minPart={3}")
  @MethodSource("cases")
  void roundTrip(CodecOptions opts, long chunkSize, long size, long minPart) throws Exception {
    byte[] data = size % 2 == 0 ? Sealed.text((int) size, size) : Sealed.random((int) size, size);
    Sealed s = Sealed.seal(opts, chunkSize, minPart, data);
    ChunkLayout layout = new ChunkLayout(size, chunkSize);
    for (int i = 0; i < s.frames.size(); i++) {
      assertTrue(s.frames.get(i).part().remaining() >= minPart, "part " + i + " below the minimum");
    }
    Sealed.Counting src = new Sealed.Counting(s.object);
    SealedReader r = SealedReader.open("k", s.object.length, src, opts.key());
    assertTrue(src.reads.get() <= 2, "open took " + src.reads.get() + " reads");
    assertEquals(size, r.size());
    assertEquals(layout.chunkCount(), r.chunkCount());
    assertEquals(opts.encrypting(), r.encrypted());

    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < r.chunkCount(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(size));
    for (int i : order.subList(0, Math.min(order.size(), 200))) {
      int readsBefore = src.reads.get();
      ByteBuffer c = r.readChunk(i);
      assertEquals(readsBefore + 1, src.reads.get(), "one ranged read per chunk");
      byte[] expect = Arrays.copyOfRange(data, (int) layout.offset(i), (int) (layout.offset(i) + layout.size(i)));
      byte[] got = new byte[c.remaining()];
      c.get(got);
      assertArrayEquals(expect, got, "chunk " + i);
    }
    assertArrayEquals(data, Sealed.readAll(r));
    for (int i = 0; i < r.chunkCount(); i++) {
      assertEquals(s.frames.get(i).info().sha256Hex(), r.chunkSha256().get(i));
    }
  }

  @Test
  void plainModeHasNoCodec() {
    assertTrue(CodecOptions.plain().isPlain());
    assertTrue(new CodecOptions(Compression.ZSTD, 0, null).isPlain(), "level 0 means off");
    assertThrows(IllegalArgumentException.class, () -> ObjectCodec.create(CodecOptions.plain(), 1024, 1));
  }

  @Test
  void resumedUploadRebuildsTheIndexFromPartSizesAndChecksums() throws Exception {
    CodecOptions opts = new CodecOptions(Compression.ZSTD, 3, KEY);
    byte[] data = Sealed.text(10_000, 5);
    ChunkLayout layout = new ChunkLayout(data.length, 1000);
    ObjectCodec first = ObjectCodec.create(opts, 1000, 1);
    String token = first.headerToken();
    ByteBuffer[] parts = new ByteBuffer[layout.chunkCount()];
    for (int i = 0; i < 4; i++) { // chunks 0-3 uploaded before the "crash"
      parts[i] = first.sealChunk(i, ByteBuffer.wrap(data, (int) layout.offset(i), (int) layout.size(i))).part();
    }
    ObjectCodec resumed = ObjectCodec.resume(new CodecOptions(Compression.ZSTD, 3, KEY), token, 1);
    assertEquals(first.fileId(), resumed.fileId());
    for (int i = 3; i < layout.chunkCount(); i++) { // chunk 3 was in flight: sealed again
      parts[i] = resumed.sealChunk(i, ByteBuffer.wrap(data, (int) layout.offset(i), (int) layout.size(i))).part();
    }
    // the engine knows part sizes (store receipts) and plaintext checksums (catalog): enough for the index
    List<FrameInfo> infos = new ArrayList<>();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < parts.length; i++) {
      infos.add(new FrameInfo(i, parts[i].remaining(), (int) layout.size(i),
          Sha256.hex(ByteBuffer.wrap(data, (int) layout.offset(i), (int) layout.size(i)))));
      byte[] b = new byte[parts[i].remaining()];
      parts[i].duplicate().get(b);
      out.writeBytes(b);
    }
    Collections.reverse(infos); // order does not matter
    ByteBuffer fin = resumed.finish(data.length, infos);
    byte[] b = new byte[fin.remaining()];
    fin.get(b);
    out.writeBytes(b);
    assertArrayEquals(data, Sealed.readAll(Sealed.open(out.toByteArray(), KEY)));

    assertThrows(WrongKeyException.class,
        () -> ObjectCodec.resume(new CodecOptions(Compression.ZSTD, 3, Sealed.key(2)), token, 1));
  }

  @Test
  void passphraseObjectsRecordTheirKdfParameters() throws Exception {
    KeyMaterial writer = KeyMaterial.ofPassphrase("correct horse battery".toCharArray(), 100_000);
    byte[] data = Sealed.text(5000, 9);
    Sealed s = Sealed.seal(new CodecOptions(Compression.DEFLATE, 5, writer), 1024, 1, data);
    SealedHeader h = SealedHeader.decode(Arrays.copyOf(s.object, SealedHeader.LENGTH));
    assertEquals(KdfParams.PBKDF2_SHA256, h.kdf().kdf());
    assertEquals(100_000, h.kdf().iterations());
    // another process with the same passphrase (and its own, unused, write parameters) reads it
    KeyMaterial reader = KeyMaterial.ofPassphrase("correct horse battery".toCharArray(), 0);
    assertArrayEquals(data, Sealed.readAll(Sealed.open(s.object, reader)));
  }

  @Test
  void variableSizeFramesWithGapsAndEmptyChunksReadByRange() throws Exception {
    CodecOptions opts = new CodecOptions(Compression.ZSTD, 3, KEY);
    ObjectCodec c = ObjectCodec.create(opts, 0, 1);
    byte[] data = Sealed.text(1000, 8);
    int[] sizes = {300, 0, 1, 450, 249};
    int[] frameNumbers = {0, 1, 4, 5, 9}; // parts 3, 4, 7, 8, 9 were not named at completion
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    List<FrameInfo> infos = new ArrayList<>();
    int at = 0;
    for (int i = 0; i < sizes.length; i++) {
      SealedFrame f = c.sealChunk(frameNumbers[i], ByteBuffer.wrap(data, at, sizes[i]));
      byte[] b = new byte[f.part().remaining()];
      f.part().get(b);
      out.writeBytes(b);
      infos.add(f.info());
      at += sizes[i];
    }
    ByteBuffer fin = c.finish(data.length, infos);
    byte[] b = new byte[fin.remaining()];
    fin.get(b);
    out.writeBytes(b);
    SealedReader r = Sealed.open(out.toByteArray(), KEY);
    assertEquals(0, r.chunkSize());
    assertEquals(5, r.chunkCount());
    assertEquals(2, r.chunkAt(300), "an empty chunk holds no position");
    assertEquals(301, r.chunkOffset(3));
    for (long[] range : new long[][] {{0, 1000}, {299, 3}, {300, 1}, {301, 700}, {999, 5}, {1000, 1}}) {
      try (java.io.InputStream in = new SealedRangeStream(r, range[0], Math.min(1000, range[0] + range[1]))) {
        assertArrayEquals(Arrays.copyOfRange(data, (int) range[0], (int) Math.min(1000, range[0] + range[1])),
            in.readAllBytes(), "range " + range[0] + "+" + range[1]);
      }
    }
    assertArrayEquals(data, Sealed.readAll(r));
    // a frame number moved: position 2 claims frame 3 -> the frame's tag fails
    List<FrameInfo> lying = new ArrayList<>(infos);
    lying.set(2, new FrameInfo(3, infos.get(2).partLength(), 1, infos.get(2).sha256Hex()));
    ByteBuffer fin2 = c.finish(data.length, lying);
    byte[] obj = out.toByteArray();
    byte[] obj2 = Arrays.copyOf(obj, obj.length - b.length + fin2.remaining());
    fin2.get(obj2, obj.length - b.length, fin2.remaining());
    SealedReader r2 = Sealed.open(obj2, KEY);
    assertThrows(org.streamfs.model.ChecksumMismatchException.class, () -> r2.readChunk(2));
  }

  @Test
  void calibratedIterationsAreAtLeastTheFloor() {
    int n = Pbkdf2.calibrate();
    assertTrue(n >= Pbkdf2.MIN_ITERATIONS && n <= Pbkdf2.MAX_ITERATIONS, "iterations " + n);
  }

  @Test
  void emptyFileIsHeaderIndexAndFooter() throws Exception {
    Sealed s = Sealed.seal(new CodecOptions(Compression.ZSTD, 3, KEY), 4096, 5 * 1024 * 1024, new byte[0]);
    assertTrue(s.object.length < 300, "empty sealed object is " + s.object.length + " bytes");
    SealedReader r = Sealed.open(s.object, KEY);
    assertEquals(0, r.size());
    assertEquals(0, r.chunkCount());
  }

  @Test
  void sealingRejectsBadInput() {
    ObjectCodec c = ObjectCodec.create(new CodecOptions(Compression.ZSTD, 3, null), 10, 1);
    assertThrows(IllegalArgumentException.class, () -> c.sealChunk(0, ByteBuffer.allocate(11)));
    assertThrows(IllegalArgumentException.class, () -> c.sealChunk(0, ByteBuffer.allocate(0)));
    assertThrows(IllegalArgumentException.class, () -> c.finish(25, List.of()));
    assertThrows(IllegalArgumentException.class, () -> new CodecOptions(Compression.DEFLATE, 10, null));
    assertThrows(IllegalArgumentException.class, () -> new CodecOptions(Compression.ZSTD, 23, null));
    assertThrows(IllegalArgumentException.class, () -> Compression.parse("lz4"));
  }
}

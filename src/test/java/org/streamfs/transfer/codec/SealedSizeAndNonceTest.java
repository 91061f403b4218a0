package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.streamfs.model.ChunkLayout;

/**
 * Cost and nonce properties: incompressible chunks cost at most a frame header each; text-like data
 * shrinks with both codecs; no AES-GCM nonce (and no file id) repeats over many overwrites of one file, nor
 * when chunks are sealed again as a resumed or rewritten upload does.
 */
class SealedSizeAndNonceTest {

  @Test
  void incompressibleChunksCostAtMostAFrameHeader() {
    for (Compression c : new Compression[] {Compression.ZSTD, Compression.DEFLATE}) {
      byte[] data = Sealed.random(1024 * 1024 + 5, 3);
      int chunk = 64 * 1024;
      Sealed s = Sealed.seal(new CodecOptions(c, c == Compression.ZSTD ? 19 : 9, null), chunk, 1, data);
      ChunkLayout layout = new ChunkLayout(data.length, chunk);
      for (SealedFrame f : s.frames) {
        int overhead = f.part().remaining() - f.info().plaintextLength()
            - (f.info().index() == 0 ? SealedHeader.LENGTH : 0);
        assertTrue(overhead <= ObjectCodec.FRAME_HEADER, c + " frame " + f.info().index() + " costs " + overhead);
      }
      long fixed = SealedHeader.LENGTH + SealedIndex.FOOTER_LENGTH + SealedIndex.BODY_PREFIX + 32
          + (long) SealedIndex.ENTRY_LENGTH * layout.chunkCount();
      assertEquals(data.length + (long) ObjectCodec.FRAME_HEADER * layout.chunkCount() + fixed, s.object.length);
    }
  }

  @Test
  void textLikeDataShrinks() {
    byte[] data = Sealed.text(2 * 1024 * 1024, 4);
    for (CodecOptions o : new CodecOptions[] {new CodecOptions(Compression.ZSTD, 3, null),
        new CodecOptions(Compression.DEFLATE, 6, null), new CodecOptions(Compression.ZSTD, 3, Sealed.key(1))}) {
      Sealed s = Sealed.seal(o, 256 * 1024, 1, data);
      assertTrue(s.object.length < data.length * 0.5, o + ": " + s.object.length + " of " + data.length);
    }
  }

  @Test
  void noNonceRepeatsOverManyOverwritesAndReseals() {
    CodecOptions o = new CodecOptions(Compression.NONE, 0, Sealed.key(5));
    byte[] data = Sealed.text(20 * 64, 6); // 20 chunks, the same content every time
    Set<String> nonces = new HashSet<>();
    Set<String> fileIds = new HashSet<>();
    int sealed = 0;
    for (int version = 0; version < 300; version++) {
      ObjectCodec c = ObjectCodec.create(o, 64, 1);
      assertTrue(fileIds.add(c.fileId()), "file id repeated at version " + version);
      for (int i = 0; i < 20; i++) {
        int reseals = i == 3 ? 3 : 1; // chunk 3 re-sent (retry, resume, rewrite in the mount)
        for (int k = 0; k < reseals; k++) {
          ByteBuffer part = c.sealChunk(i, ByteBuffer.wrap(data, i * 64, 64)).part();
          int at = (i == 0 ? SealedHeader.LENGTH : 0) + ObjectCodec.FRAME_HEADER;
          byte[] nonce = new byte[SealedKeys.NONCE_LENGTH];
          part.duplicate().position(at).get(nonce);
          assertTrue(nonces.add(java.util.HexFormat.of().formatHex(nonce)), "nonce repeated");
          sealed++;
        }
      }
      // a resumed upload (same file id) keeps drawing fresh nonces
      ObjectCodec resumed;
      try {
        resumed = ObjectCodec.resume(o, c.headerToken(), 1);
      } catch (WrongKeyException e) {
        throw new AssertionError(e);
      }
      ByteBuffer part = resumed.sealChunk(5, ByteBuffer.wrap(data, 5 * 64, 64)).part();
      byte[] nonce = new byte[SealedKeys.NONCE_LENGTH];
      part.duplicate().position(ObjectCodec.FRAME_HEADER).get(nonce);
      assertTrue(nonces.add(java.util.HexFormat.of().formatHex(nonce)), "nonce repeated after resume");
      sealed++;
    }
    assertEquals(sealed, nonces.size());
  }
}

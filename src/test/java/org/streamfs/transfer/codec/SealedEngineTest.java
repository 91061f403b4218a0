package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkLayout;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.local.LocalStore;
import org.streamfs.transfer.ChunkManifest;
import org.streamfs.transfer.StagedUpload;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * The real engine over a {@link SealingStore} over a real local store and a real LMDB catalog: put, get,
 * verifyUpload, single-chunk fetches and a mount-style staged overwrite, for every combination (plain
 * included, which must leave the file's exact bytes in the store); tampering with the stored object and a
 * wrong key are reported, never turned into wrong bytes.
 */
class SealedEngineTest {
  static final KeyMaterial KEY = Sealed.key(11);
  static final int CHUNK = 64 * 1024;

  @TempDir Path tmp;
  private Catalog catalog;
  private LocalStore below;
  private StreamingManager engine;

  static Stream<CodecOptions> modes() {
    return Stream.of(CodecOptions.plain(), new CodecOptions(Compression.ZSTD, 3, null),
        new CodecOptions(Compression.DEFLATE, 6, null), new CodecOptions(Compression.NONE, 0, KEY),
        new CodecOptions(Compression.ZSTD, 3, KEY));
  }

  StreamingManager engine(CodecOptions opts) throws IOException {
    if (catalog == null) {
      catalog = Catalog.open(tmp.resolve("state"));
      below = LocalStore.open(tmp.resolve("store"), true);
    }
    StreamingConfig cfg = StreamingConfig.builder().chunkSizeBytes(CHUNK).retryDelay(Duration.ofMillis(10))
        .maxRetries(1).parallelChunks(3).threadPoolSize(3).build();
    return new StreamingManager(new SealingStore(below, opts), catalog, cfg);
  }

  @AfterEach
  void close() {
    if (engine != null) {
      engine.close();
    }
    if (catalog != null) {
      catalog.close();
    }
  }

  Path file(String name, byte[] data) throws IOException {
    Path p = tmp.resolve(name);
    Files.write(p, data);
    return p;
  }

  Path storedFile(String key) {
    return tmp.resolve("store").resolve(key);
  }

  @ParameterizedTest
  @MethodSource("modes")
  void putGetVerifyAndFetchOneChunk(CodecOptions opts) throws Exception {
    engine = engine(opts);
    byte[] data = Sealed.text(5 * CHUNK + 123, 1);
    String op = engine.uploadFile(file("src.json", data), "docs/data.json", null, Map.of());
    byte[] stored = Files.readAllBytes(storedFile("docs/data.json"));
    if (opts.isPlain()) {
      assertArrayEquals(data, stored, "plain mode stores the file's bytes exactly");
    } else {
      assertTrue(SealedReader.hasMagic(stored));
      assertFalse(Arrays.equals(data, stored));
    }
    if (opts.compressing()) {
      assertTrue(stored.length < data.length / 2, "stored " + stored.length + " of " + data.length);
    }
    if (opts.encrypting()) {
      assertFalse(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1).contains("customer"),
          "plaintext visible in an encrypted object");
    }
    assertTrue(engine.verifyUpload(op));
    Path out = tmp.resolve("out.json");
    engine.downloadFile("docs/data.json", out, null);
    assertArrayEquals(data, Files.readAllBytes(out));

    ObjectInfo info = engine.store().stat("docs/data.json");
    assertEquals(data.length, info.size());
    ChunkManifest m = engine.manifest(info);
    assertEquals(CHUNK, m.chunkSize());
    ByteBuffer dst = ByteBuffer.allocate(CHUNK);
    engine.fetchChunk(info, m, 3, dst);
    assertArrayEquals(Arrays.copyOfRange(data, 3 * CHUNK, 4 * CHUNK), dst.array());
  }

  @ParameterizedTest
  @MethodSource("modes")
  void onlyAnObjectStoredAsItIsIsOfferedForReadingInPlace(CodecOptions opts) throws Exception {
    engine = engine(opts);
    byte[] data = Sealed.text(2 * CHUNK + 5, 2);
    engine.uploadFile(file("src.json", data), "docs/in-place.json", null, Map.of());
    ObjectInfo info = engine.store().stat("docs/in-place.json");
    try (java.nio.channels.FileChannel ch = engine.store().openLocal(info.key(), info.version())) {
      if (opts.isPlain()) {
        assertNotNull(ch, "a plain object in a local store is read in place");
        ByteBuffer all = ByteBuffer.allocate(data.length);
        while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
          // read it all
        }
        assertArrayEquals(data, all.array());
      } else {
        assertNull(ch, "sealed bytes must go through the codec, never be read in place");
      }
    }
    StoreException stale = assertThrows(StoreException.class,
        () -> engine.store().openLocal(info.key(), "not-" + info.version()));
    assertEquals(StoreException.Kind.PRECONDITION_FAILED, stale.kind());
  }

  @ParameterizedTest
  @MethodSource("modes")
  void smallAndEmptyFilesRoundTrip(CodecOptions opts) throws Exception {
    engine = engine(opts);
    for (int size : new int[] {0, 1, 100, CHUNK}) {
      byte[] data = Sealed.text(size, size);
      engine.uploadFile(file("s" + size, data), "small/" + size, null, Map.of());
      assertEquals(size, engine.store().stat("small/" + size).size());
      Path out = tmp.resolve("o" + size);
      engine.downloadFile("small/" + size, out, null);
      assertArrayEquals(data, Files.readAllBytes(out), "size " + size);
    }
  }

  @ParameterizedTest
  @MethodSource("modes")
  void stagedOverwriteOfOneChunkKeepsTheOthers(CodecOptions opts) throws Exception {
    engine = engine(opts);
    byte[] v1 = Sealed.random(4 * CHUNK + 10, 2);
    engine.uploadFile(file("v1", v1), "mnt/f", null, Map.of());
    ObjectInfo base = engine.store().stat("mnt/f");
    byte[] v2 = v1.clone();
    Arrays.fill(v2, CHUNK + 5, CHUNK + 500, (byte) 7);
    Path staging = file("staging", v2);
    StagedUpload up = engine.openStagedUpload("mnt/f", staging, base);
    up.markDirty(1);
    up.chunkComplete(1);
    ObjectInfo done = up.commit(v2.length, Map.of("mode", "33188")).get();
    assertEquals(v2.length, done.size());
    Path out = tmp.resolve("v2out");
    engine.downloadFile("mnt/f", out, null);
    assertArrayEquals(v2, Files.readAllBytes(out));
  }

  @ParameterizedTest
  @MethodSource("modes")
  void tamperedObjectIsReportedNeverReturned(CodecOptions opts) throws Exception {
    if (opts.isPlain()) {
      return; // plain objects are checked by the engine's manifest (its own tests)
    }
    engine = engine(opts);
    byte[] data = Sealed.random(3 * CHUNK, 3);
    engine.uploadFile(file("t", data), "t/obj", null, Map.of());
    Path stored = storedFile("t/obj");
    try (FileChannel ch = FileChannel.open(stored, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      long pos = CHUNK + CHUNK / 2; // inside frame 1
      ch.read(b, pos);
      b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
      ch.write(b, pos);
    }
    Path out = tmp.resolve("tout");
    IOException e = assertThrows(IOException.class, () -> engine.downloadFile("t/obj", out, null));
    assertTrue(isChecksum(e), "not a checksum error: " + e);
    assertFalse(Files.exists(out), "no file on a failed download");

    // a truncated object
    byte[] all = Files.readAllBytes(stored);
    Files.write(stored, Arrays.copyOf(all, all.length - 60));
    IOException t = assertThrows(IOException.class, () -> engine.downloadFile("t/obj", out, null));
    assertTrue(isChecksum(t), "not a checksum error: " + t);
  }

  static boolean isChecksum(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof ChecksumMismatchException
          || (c instanceof StoreException se && se.kind() == StoreException.Kind.CHECKSUM)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void wrongKeyIsRefusedWithAClearMessage() throws Exception {
    engine = engine(new CodecOptions(Compression.ZSTD, 3, KEY));
    byte[] data = Sealed.text(2 * CHUNK, 4);
    engine.uploadFile(file("k", data), "k/obj", null, Map.of());
    engine.close();
    engine = engine(new CodecOptions(Compression.ZSTD, 3, Sealed.key(12)));
    IOException e = assertThrows(IOException.class, () -> engine.downloadFile("k/obj", tmp.resolve("ko"), null));
    String all = e.toString() + (e.getCause() == null ? "" : e.getCause().toString());
    assertTrue(all.contains("wrong key"), all);
    engine.close();
    engine = engine(CodecOptions.plain());
    IOException none = assertThrows(IOException.class, () -> engine.downloadFile("k/obj", tmp.resolve("ko"), null));
    assertTrue(none.getMessage().contains("--encrypt-key-file"), none.getMessage());
    assertEquals(data.length, engine.store().stat("k/obj").size());
  }

  @Test
  void compressedObjectsAreReadableWithoutOptions() throws Exception {
    engine = engine(new CodecOptions(Compression.DEFLATE, 6, null));
    byte[] data = Sealed.text(3 * CHUNK + 1, 5);
    engine.uploadFile(file("c", data), "c/obj", null, Map.of());
    engine.close();
    engine = engine(CodecOptions.plain());
    Path out = tmp.resolve("cout");
    engine.downloadFile("c/obj", out, null);
    assertArrayEquals(data, Files.readAllBytes(out));
    assertEquals(List.of(), engine.listActiveOperations());
    assertEquals(new ChunkLayout(data.length, CHUNK).chunkCount(),
        engine.manifest(engine.store().stat("c/obj")).chunkSha256().size());
  }
}

package org.streamfs.transfer.codec;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.local.LocalStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * Child-JVM program for {@link SealedLargeUploadIT}: generates a file of the given size (text-like, in
 * 1 MiB pieces, never whole in memory), uploads it sealed (zstd + AES-256-GCM) through the real engine to a
 * local store, verifies it (every chunk read back, decrypted and checked, whole-file SHA-256) and prints
 * {@code OK <stored bytes> <max heap used>}. Arguments: work dir, size in bytes, chunk size (0 = auto).
 */
public final class SealedLargeUpload {
  private SealedLargeUpload() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]);
    long chunk = Long.parseLong(args[2]);
    Path src = dir.resolve("big.csv");
    byte[] piece = Sealed.text(1 << 20, 1);
    try (OutputStream out = Files.newOutputStream(src)) {
      long written = 0;
      int n = 0;
      while (written < size) {
        int len = (int) Math.min(piece.length, size - written);
        piece[n++ % piece.length] ^= 1; // every piece differs a little
        out.write(piece, 0, len);
        written += len;
      }
    }
    KeyMaterial key = KeyMaterial.ofKey(Sealed.random(32, 99));
    StreamingConfig cfg = StreamingConfig.builder().chunkSizeBytes(chunk).parallelChunks(2).threadPoolSize(2)
        .build();
    try (Catalog catalog = Catalog.open(dir.resolve("state"));
        StreamingManager engine = new StreamingManager(new SealingStore(
            LocalStore.open(dir.resolve("store"), true), new CodecOptions(Compression.ZSTD, 3, key)), catalog,
            cfg)) {
      String op = engine.uploadFile(src, "big.csv", null, Map.of());
      Files.delete(src);
      if (!engine.verifyUpload(op)) {
        throw new AssertionError("verifyUpload returned false");
      }
      ObjectInfo info = engine.store().stat("big.csv");
      if (info.size() != size) {
        throw new AssertionError("size " + info.size() + " != " + size);
      }
      long stored = Files.size(dir.resolve("store").resolve("big.csv"));
      System.out.println("OK " + stored + " " + Runtime.getRuntime().maxMemory());
    }
  }
}

package org.streamfs.transfer.codec;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.local.LocalStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * The codec benchmark behind {@code bench/codec.sh}: for text-like (JSON lines / CSV) and random data,
 * uploads and downloads one generated file through the real engine and a local store with each
 * combination (plain, zstd, deflate, AES-256-GCM, zstd+AES, deflate+AES) and prints a Markdown table of
 * put/get throughput and stored size. Arguments: work directory, file size in MiB.
 */
public final class CodecBench {
  private CodecBench() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    int mib = Integer.parseInt(args[1]);
    long size = (long) mib << 20;
    KeyMaterial key = KeyMaterial.ofKey(Sealed.random(32, 7));
    Map<String, CodecOptions> combos = new LinkedHashMap<>();
    combos.put("plain", CodecOptions.plain());
    combos.put("zstd-3", new CodecOptions(Compression.ZSTD, 3, null));
    combos.put("deflate-6", new CodecOptions(Compression.DEFLATE, 6, null));
    combos.put("aes-256-gcm", new CodecOptions(Compression.NONE, 0, key));
    combos.put("zstd-3+aes", new CodecOptions(Compression.ZSTD, 3, key));
    combos.put("deflate-6+aes", new CodecOptions(Compression.DEFLATE, 6, key));
    System.out.printf("%d MiB file, chunk size auto, local store, %d cores, java %s%n%n", mib,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    System.out.println("| data | mode | put MB/s | get MB/s | stored / original |");
    System.out.println("|---|---|---:|---:|---:|");
    for (String kind : new String[] {"text", "random"}) {
      Path src = work.resolve("src-" + kind);
      generate(src, size, kind.equals("text"));
      for (Map.Entry<String, CodecOptions> c : combos.entrySet()) {
        Path run = work.resolve("run");
        try (Catalog catalog = Catalog.open(run.resolve("state"));
            StreamingManager engine = new StreamingManager(new SealingStore(
                LocalStore.open(run.resolve("store"), true), c.getValue()), catalog,
                StreamingConfig.builder().build())) {
          long t0 = System.nanoTime();
          engine.uploadFile(src, "bench/" + kind, null, Map.of());
          long t1 = System.nanoTime();
          long stored = Files.size(run.resolve("store").resolve("bench").resolve(kind));
          Path out = run.resolve("out");
          long t2 = System.nanoTime();
          engine.downloadFile("bench/" + kind, out, null);
          long t3 = System.nanoTime();
          if (Files.mismatch(src, out) != -1) {
            throw new AssertionError(c.getKey() + " " + kind + ": downloaded bytes differ");
          }
          System.out.printf("| %s | %s | %.0f | %.0f | %.1f %% |%n", kind, c.getKey(), mbps(size, t1 - t0),
              mbps(size, t3 - t2), 100.0 * stored / size);
        }
        delete(run);
      }
      Files.delete(src);
    }
  }

  static double mbps(long bytes, long nanos) {
    return bytes / 1e6 / (nanos / 1e9);
  }

  static void generate(Path file, long size, boolean text) throws Exception {
    try (OutputStream out = Files.newOutputStream(file)) {
      long written = 0;
      for (int seed = 0; written < size; seed++) {
        byte[] piece = text ? Sealed.text(1 << 20, seed) : Sealed.random(1 << 20, seed);
        int len = (int) Math.min(piece.length, size - written);
        out.write(piece, 0, len);
        written += len;
      }
    }
  }

  static void delete(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

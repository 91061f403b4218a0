package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectStore;

/** Test helpers: deterministic files, digests and a small engine over a real store and a real catalog. */
final class EngineFixture {
  private EngineFixture() {}

  /** Writes {@code size} pseudo-random bytes (seeded) to {@code file} without holding them in memory. */
  static Path randomFile(Path file, long size, long seed) throws IOException {
    Random r = new Random(seed);
    byte[] buf = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(file)) {
      long left = size;
      while (left > 0) {
        r.nextBytes(buf);
        int n = (int) Math.min(buf.length, left);
        out.write(buf, 0, n);
        left -= n;
      }
    }
    return file;
  }

  static String sha(Path file) throws IOException {
    MessageDigest md = Sha256.newDigest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] b = new byte[1 << 16];
      for (int n; (n = in.read(b)) > 0; ) {
        md.update(b, 0, n);
      }
    }
    return Sha256.hex(md.digest());
  }

  static String sha(ObjectStore store, String key) throws IOException {
    MessageDigest md = Sha256.newDigest();
    try (InputStream in = store.read(key, 0, -1, null)) {
      byte[] b = new byte[1 << 16];
      for (int n; (n = in.read(b)) > 0; ) {
        md.update(b, 0, n);
      }
    }
    return Sha256.hex(md.digest());
  }

  static StreamingConfig.Builder fast() {
    return StreamingConfig.builder().retryDelay(Duration.ofMillis(5)).maxRetryDelay(Duration.ofMillis(50))
        .timeout(Duration.ofSeconds(30)).parallelChunks(4).threadPoolSize(4);
  }

  static StreamingManager manager(ObjectStore store, Catalog catalog, StreamingConfig config) {
    return new StreamingManager(store, catalog, config);
  }
}

package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB sealed (zstd + AES-256-GCM) upload and verification through the real engine, in a child JVM
 * limited to -Xmx64m: memory stays bounded by the chunk buffers, never by the file. The data is generated
 * in the child and deleted with the temporary directory.
 */
class SealedLargeUploadIT {
  @TempDir Path dir;

  @Test
  void oneGibSealedUploadIn64MibHeap() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    long size = Long.getLong("streamfs.it.sealedSize", 1L << 30);
    Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        SealedLargeUpload.class.getName(), dir.toString(), Long.toString(size), "0"))
        .redirectErrorStream(true).start();
    String out;
    boolean done = p.waitFor(15, TimeUnit.MINUTES);
    out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertTrue(done, "child did not finish in time: " + out);
    assertEquals(0, p.exitValue(), out);
    String last = out.strip().lines().reduce((a, b) -> b).orElse("");
    assertTrue(last.startsWith("OK "), out);
    long stored = Long.parseLong(last.split(" ")[1]);
    assertTrue(stored < size, "compressed text should shrink: " + stored + " of " + size);
  }
}

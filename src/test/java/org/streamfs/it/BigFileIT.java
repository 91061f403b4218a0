package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB upload and download through the CLI in a JVM limited to -Xmx64m: both succeed, the bytes are
 * identical, and the process's peak RSS stays far below the file size (memory flat in the file size).
 */
class BigFileIT {
  static final long SIZE = 1L << 30;

  @TempDir
  Path tmp;

  @Test
  void oneGibibyteInSixtyFourMegabytesOfHeap() throws Exception {
    Path src = tmp.resolve("big.bin");
    byte[] buf = new byte[1 << 20];
    Random r = new Random(1);
    try (var out = Files.newOutputStream(src)) {
      for (long left = SIZE; left > 0; left -= buf.length) {
        r.nextBytes(buf);
        out.write(buf);
      }
    }
    String store = tmp.resolve("store").toUri().toString();
    String state = tmp.resolve("state").toString();
    long putPeak = runMeasured("put", "--store", store, "--create-store", "--state-dir", state, src.toString(),
        "big.bin");
    Path back = tmp.resolve("back.bin");
    long getPeak = runMeasured("get", "--store", store, "--state-dir", state, "big.bin", back.toString());
    assertEquals(PutResumeIT.sha(src), PutResumeIT.sha(back));
    assertEquals(PutResumeIT.sha(src), PutResumeIT.sha(tmp.resolve("store/big.bin")));
    // JVM baseline (~60-100 MiB) + 64 MiB heap + chunk buffers; far below 1 GiB.
    assertTrue(putPeak < 320 * 1024, "put peak RSS " + putPeak / 1024 + " MiB");
    assertTrue(getPeak < 320 * 1024, "get peak RSS " + getPeak / 1024 + " MiB");
    System.out.printf("1 GiB put peak RSS %d MiB, get peak RSS %d MiB%n", putPeak / 1024, getPeak / 1024);
  }

  private long runMeasured(String... args) throws Exception {
    ProcessBuilder pb = Cli.builder("64m", Map.of(), args);
    File log = tmp.resolve(args[0] + ".log").toFile();
    pb.redirectErrorStream(true).redirectOutput(log);
    Process p = pb.start();
    long peak = 0;
    while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
      peak = Math.max(peak, Cli.peakRssKib(p.pid()));
    }
    assertEquals(0, p.exitValue(), args[0] + " failed: " + Files.readString(log.toPath()));
    return peak;
  }
}

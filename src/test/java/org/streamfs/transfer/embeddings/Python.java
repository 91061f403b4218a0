package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs a python3 script (Debian's python3-numpy) in a subprocess; returns its stdout, fails on exit != 0. */
final class Python {
  private Python() {}

  static boolean numpyAvailable() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  static void assumeNumpy() {
    assumeTrue(numpyAvailable(), "python3 with numpy not installed (apt-get install python3-numpy)");
  }

  static String run(String script, String... args) throws IOException, InterruptedException {
    String[] cmd = new String[args.length + 3];
    cmd[0] = "python3";
    cmd[1] = "-c";
    cmd[2] = Rows.PYTHON_FN + script;
    System.arraycopy(args, 0, cmd, 3, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(300, TimeUnit.SECONDS);
    assertEquals(0, p.exitValue(), "python3 failed:\n" + out);
    return out.strip();
  }
}

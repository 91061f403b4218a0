package org.streamfs.transfer.embeddings;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class of the test classpath in a child JVM with a given heap, output to a log file. */
final class ChildJvm {
  private ChildJvm() {}

  static Process start(String heap, Path log, Class<?> main, String... args) throws IOException {
    return new ProcessBuilder(command(heap, main, args)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
  }

  /** Runs to completion with stdin from {@code in} (null: none), stdout and stderr to files; exit code. */
  static int run(Path in, Path out, Path err, Class<?> main, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command("256m", main, args)).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    if (in != null) {
      pb.redirectInput(in.toFile());
    }
    Process p = pb.start();
    if (!p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child timed out: " + List.of(args));
    }
    return p.exitValue();
  }

  static List<String> command(String heap, Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-cp");
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
        .replace(File.pathSeparatorChar == ':' ? ";" : ":", File.pathSeparator));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}

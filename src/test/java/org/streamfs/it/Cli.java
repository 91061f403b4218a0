package org.streamfs.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code streamfs} CLI (the shaded jar built by {@code mvn package}) in a child JVM, as a user
 * would: argv, environment, stdout/stderr, exit code. The jar path comes from the system property
 * {@code streamfs.jar} that failsafe sets.
 */
public final class Cli {
  private Cli() {}

  public static Path jar() {
    String p = System.getProperty("streamfs.jar", "target/streamfs-all.jar");
    Path jar = Path.of(p).toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException("streamfs jar not found at " + jar + " (run mvn package first)");
    }
    return jar;
  }

  /** A command line for the CLI with the given heap limit. */
  public static List<String> command(String xmx, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (xmx != null) {
      cmd.add("-Xmx" + xmx);
    }
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  public static ProcessBuilder builder(String xmx, Map<String, String> env, String... args) {
    ProcessBuilder pb = new ProcessBuilder(command(xmx, args));
    pb.environment().put("STREAMFS_PLAIN_PROGRESS", "1");
    if (env != null) {
      pb.environment().putAll(env);
    }
    return pb;
  }

  /** The outcome of a finished command. */
  public record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  /** Runs to completion (with a timeout) and captures output. */
  public static Result run(String xmx, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder pb = builder(xmx, env, args);
    File out = File.createTempFile("streamfs-out", ".txt");
    File err = File.createTempFile("streamfs-err", ".txt");
    pb.redirectOutput(out).redirectError(err);
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("streamfs " + String.join(" ", args) + " did not finish in 10 min");
    }
    Result r = new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
        Files.readString(err.toPath(), StandardCharsets.UTF_8));
    Files.deleteIfExists(out.toPath());
    Files.deleteIfExists(err.toPath());
    return r;
  }

  /** Peak RSS (VmHWM, KiB) of a live process, or -1 when it has exited. */
  public static long peakRssKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }
}

package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real streamfs mount in a child process ({@code java -jar $streamfs.jar mount --foreground}), for the
 * mounted integration tests: start, run shell commands against it, kill -9 it, unmount. Tests are skipped
 * when the shaded jar, /dev/fuse or libfuse2 is missing. Only the child this object started is ever killed.
 */
final class Mounted implements AutoCloseable {
  final Path store;
  final Path state;
  final Path mnt;
  final List<String> extra;
  private final java.util.Map<String, String> env = new java.util.HashMap<>();
  private Process process;

  Mounted(Path root, String... extraArgs) throws IOException {
    this(root, root.resolve("store"), extraArgs);
  }

  /** A mount of {@code store} (which other mounts may share), with its own state dir under {@code root}. */
  Mounted(Path root, Path store, String... extraArgs) throws IOException {
    Files.createDirectories(root);
    this.store = Files.createDirectories(store);
    this.state = root.resolve("state");
    this.mnt = root.resolve("mnt");
    try {
      Files.createDirectory(mnt);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // exists (possibly as the stale mount a killed daemon left): the daemon clears it
    }
    this.extra = List.of(extraArgs);
  }

  static String jar() {
    String jar = System.getProperty("streamfs.jar", "target/streamfs-all.jar");
    assumeTrue(Files.isRegularFile(Path.of(jar)), "shaded jar missing: " + jar);
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse missing");
    assumeTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libfuse.so.2"))
        || Files.exists(Path.of("/lib/x86_64-linux-gnu/libfuse.so.2")), "libfuse2 missing");
    return jar;
  }

  /** Sets an environment variable of the daemon (e.g. STREAMFS_TEST_PART_LATENCY_MS). */
  Mounted withEnv(String name, String value) {
    env.put(name, value);
    return this;
  }

  Mounted start() throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-XX:+UseSerialGC", "-Dfile.encoding=UTF-8",
        "-Dsun.jnu.encoding=UTF-8", "-jar", jar(), "mount", "--foreground", "--store", "file://" + store,
        "--state-dir", state.toString()));
    cmd.addAll(extra);
    cmd.add(mnt.toString());
    Files.createDirectories(state);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    process = pb.redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(state.resolve("test-daemon.log").toFile())).start();
    long deadline = System.currentTimeMillis() + 30_000;
    while (!answers()) {
      if (!process.isAlive()) {
        throw new IllegalStateException("daemon exited " + process.exitValue() + ": " + log());
      }
      assertTrue(System.currentTimeMillis() < deadline, "mount did not appear: " + log());
      Thread.sleep(50);
    }
    return this;
  }

  /**
   * True once a live daemon answers on the mount point: its root's statedir xattr, or with {@code -o
   * noxattr} an opendir (never answered from the kernel's cache, unlike stat) of a directory on another
   * device than its parent.
   */
  boolean answers() {
    if (extra.contains("noxattr")) {
      try (var probe = Files.newDirectoryStream(mnt)) {
        return !Files.getAttribute(mnt, "unix:dev").equals(Files.getAttribute(mnt.getParent(), "unix:dev"));
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }
    try {
      java.nio.file.attribute.UserDefinedFileAttributeView v =
          Files.getFileAttributeView(mnt, java.nio.file.attribute.UserDefinedFileAttributeView.class);
      return v.size("streamfs.statedir") > 0;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  long pid() {
    return process.pid();
  }

  boolean mounted() throws IOException {
    String want = mnt.toAbsolutePath().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].equals(want)) {
        return true;
      }
    }
    return false;
  }

  String log() {
    try {
      return Files.readString(state.resolve("test-daemon.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Runs a bash command line in the mount point's parent; returns stdout+stderr; asserts exit 0. */
  String sh(String script) throws Exception {
    Result r = run(script);
    assertTrue(r.code == 0, "command failed (" + r.code + "): " + script + "\n" + r.out);
    return r.out;
  }

  record Result(int code, String out) {}

  Result run(String script) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", script).directory(mnt.getParent().toFile())
        .redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timeout: " + script);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** streamfs CLI against this mount (sync, umount, ops...). */
  Result cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx128m", "-jar", jar()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    p.waitFor(300, TimeUnit.SECONDS);
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** kill -9 of the daemon this object started; the mount is left stale, as after a crash. */
  void kill9() throws Exception {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Unmounts (waiting for the daemon to exit); safe to call twice. */
  @Override
  public void close() throws Exception {
    if (mounted()) {
      new ProcessBuilder("fusermount3", "-u", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
      if (mounted()) {
        new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
      }
    }
    if (process != null && process.isAlive() && !process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    String log = log();
    int stuck = log.indexOf("stuck FUSE call");
    if (stuck >= 0) {
      // the daemon's watchdog saw a FUSE call run for a minute: a process on the mount was blocked
      throw new AssertionError("the daemon reported a stuck FUSE call:\n"
          + log.substring(stuck, Math.min(log.length(), stuck + 20_000)));
    }
  }
}

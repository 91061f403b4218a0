package org.streamfs.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service pieces against real mounts, as root: the installed mount helper driven by mount(8) (both
 * {@code mount -t fuse.streamfs} and an fstab line through {@code mount -T}), and the foreground daemon as
 * systemd runs it (through the installed launcher with an empty environment and a NOTIFY_SOCKET): READY only
 * once mounted, SIGTERM flushes then unmounts, a second SIGTERM unmounts at once and the next mount finishes
 * the upload. The helper must be in /sbin for mount(8) to find it: the test links
 * /sbin/mount.fuse.streamfs to its temporary install and removes the link afterwards (and skips if a real
 * helper is installed there).
 */
class ServiceIT {
  private static final Path SBIN_HELPER = Path.of("/sbin/mount.fuse.streamfs");
  private static Path jar;

  @TempDir Path tmp;
  private Path launcher;
  private Path helper;
  private boolean linkedHelper;
  private final List<Process> daemons = new ArrayList<>();
  private final List<Path> mounts = new ArrayList<>();
  private final List<Path> stateDirs = new ArrayList<>();

  @BeforeAll
  static void requirements() throws Exception {
    jar = Path.of(System.getProperty("streamfs.jar", "target/streamfs-all.jar")).toAbsolutePath();
    assumeTrue(Files.isRegularFile(jar), "no shaded jar at " + jar);
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
    assumeTrue("0".equals(exec(List.of("id", "-u"), 10).out.strip()), "needs root (mount(8), /sbin)");
    assumeTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libfuse.so.2"))
        || Files.exists(Path.of("/lib/x86_64-linux-gnu/libfuse.so.2")), "libfuse2 is not installed");
  }

  @BeforeEach
  void install() throws Exception {
    Result r = exec(List.of("java", "-jar", jar.toString(), "install-service", "--root", "/", "--prefix",
        tmp.resolve("usr").toString(), "--sbin-dir", tmp.resolve("sbin").toString(), "--unit-dir",
        tmp.resolve("units").toString(), "--config-dir", tmp.resolve("etc").toString(), "--jar", jar.toString(),
        "--no-reload"), 120);
    assertEquals(0, r.code, r::toString);
    launcher = tmp.resolve("usr/bin/streamfs");
    helper = tmp.resolve("sbin/mount.fuse.streamfs");
    Files.createDirectories(tmp.resolve("store"));
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Path m : mounts) {
      if (mountType(m) != null) {
        exec(List.of("umount", "-l", m.toString()), 30);
      }
    }
    for (Process p : daemons) {
      p.destroyForcibly();
    }
    for (Path s : stateDirs) {
      Path pidFile = s.resolve("daemon.pid");
      if (Files.exists(pidFile)) {
        ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(h -> {
          if (h.info().command().orElse("").contains("java")) {
            h.destroyForcibly();
          }
        });
      }
    }
    if (linkedHelper) {
      Files.deleteIfExists(SBIN_HELPER);
    }
  }

  @Test
  void mountHelperWorksFromMountTypeAndFromAnFstabLine() throws Exception {
    linkHelper();
    Path mnt = dir("mnt");
    Path state = tmp.resolve("state");
    Path conf = tmp.resolve("etc/docs.conf");
    Files.writeString(conf, "store = file://" + tmp.resolve("store") + "\nstate-dir = " + state
        + "\nchunk-size = 1M\n");
    stateDirs.add(state);
    mounts.add(mnt);

    Result m = exec(List.of("mount", "-t", "fuse.streamfs", "none", mnt.toString(), "-o",
        "config=" + conf + ",_netdev,nofail,x-systemd.automount,parallel=2"), 120);
    assertEquals(0, m.code, m::toString);
    assertEquals("fuse.streamfs", mountType(mnt), "mount(8) returned only once mounted");
    byte[] data = random(3 << 20, 1);
    Files.write(mnt.resolve("a.bin"), data);
    Result sync = exec(List.of(launcher.toString(), "sync", mnt.toString()), 120);
    assertEquals(0, sync.code, sync::toString);
    assertEquals(-1, Files.mismatch(tmp.resolve("store/a.bin"), write(tmp.resolve("a.expected"), data)),
        "the store holds the file after sync");
    unmountAndAwaitDaemon(mnt, state);

    Path mnt2 = dir("mnt2");
    Path state2 = tmp.resolve("state2");
    stateDirs.add(state2);
    mounts.add(mnt2);
    Path fstab = tmp.resolve("fstab");
    Files.writeString(fstab, "# test fstab\nfile://" + tmp.resolve("store") + " " + mnt2 + " fuse.streamfs "
        + "_netdev,nofail,noauto,x-systemd.automount,x-systemd.idle-timeout=60,state-dir=" + state2
        + ",chunk-size=1M 0 0\n");
    Result f = exec(List.of("mount", "-T", fstab.toString(), mnt2.toString()), 120);
    assertEquals(0, f.code, f::toString);
    assertEquals("fuse.streamfs", mountType(mnt2));
    assertEquals(-1, Files.mismatch(mnt2.resolve("a.bin"), tmp.resolve("a.expected")), "read back through fstab mount");
    unmountAndAwaitDaemon(mnt2, state2);
  }

  @Test
  void sigtermFlushesPendingUploadsThenUnmounts() throws Exception {
    assumeTrue(NotifyReceiver.available(), "python3 is needed as the notify receiver");
    Path mnt = dir("mnt");
    Path conf = config("t", mnt, "2min");
    try (NotifyReceiver systemd = NotifyReceiver.bind(tmp.resolve("notify.sock").toString())) {
      Process d = foreground(conf, systemd.socket, 150, "daemon1.log");
      String ready = systemd.next(90);
      assertNotNull(ready, "no READY=1 within 90 s: " + log("daemon1.log"));
      assertTrue(ready.startsWith("READY=1"), ready);
      assertEquals("fuse.streamfs", mountType(mnt), "READY=1 only once the mount answers");

      byte[] data = random(24 << 20, 2);
      Files.write(mnt.resolve("big.bin"), data);
      d.destroy();
      waitFor(() -> log("daemon1.log").contains("SIGTERM: flushing"), 30);
      assertTrue(log("daemon1.log").matches("(?s).*SIGTERM: flushing [1-9][0-9]* pending upload.*"),
          "an upload was in flight at SIGTERM" + log("daemon1.log"));
      String stopping = systemd.next(30);
      assertNotNull(stopping);
      assertTrue(stopping.startsWith("STOPPING=1\\nSTATUS=stopping"), stopping);
      assertTrue(d.waitFor(150, TimeUnit.SECONDS), "daemon did not stop: " + log("daemon1.log"));
      assertEquals(0, d.exitValue(), log("daemon1.log"));
      assertNull(mountType(mnt), "unmounted");
      assertEquals(-1, Files.mismatch(tmp.resolve("store/big.bin"), write(tmp.resolve("big.expected"), data)),
          "flushed before unmounting: " + log("daemon1.log"));
    }
  }

  @Test
  void secondSigtermUnmountsAtOnceAndTheNextMountFinishesTheUpload() throws Exception {
    Path mnt = dir("mnt");
    Path conf = config("u", mnt, "2min");
    Process d = foreground(conf, null, 500, "daemon1.log");
    awaitMounted(mnt, d, "daemon1.log");
    byte[] data = random(24 << 20, 3);
    Files.write(mnt.resolve("big.bin"), data);
    Path expected = write(tmp.resolve("big.expected"), data);
    d.destroy();
    Thread.sleep(300);
    d.destroy();
    assertTrue(d.waitFor(30, TimeUnit.SECONDS), "second SIGTERM did not unmount at once: " + log("daemon1.log"));
    assertEquals(0, d.exitValue(), log("daemon1.log"));
    assertNull(mountType(mnt));
    assertTrue(log("daemon1.log").matches("(?s).*SIGTERM again: unmounting now; [1-9][0-9]* upload\\(s\\) resume.*"),
        "the second signal cut an upload short" + log("daemon1.log"));
    assertTrue(Files.notExists(tmp.resolve("store/big.bin")), "not in the store yet");

    Process again = foreground(conf, null, 0, "daemon2.log");
    awaitMounted(mnt, again, "daemon2.log");
    Result sync = exec(List.of(launcher.toString(), "sync", mnt.toString()), 150);
    assertEquals(0, sync.code, sync.out + log("daemon2.log"));
    assertEquals(-1, Files.mismatch(tmp.resolve("store/big.bin"), expected), "resumed and completed");
    again.destroy();
    assertTrue(again.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, again.exitValue());
    assertNull(mountType(mnt));
  }

  private Path config(String name, Path mnt, String stopTimeout) throws IOException {
    Path state = tmp.resolve("state-" + name);
    stateDirs.add(state);
    mounts.add(mnt);
    Path conf = tmp.resolve("etc/" + name + ".conf");
    Files.writeString(conf, "# " + name + "\nstore = file://" + tmp.resolve("store") + "\nmountpoint = " + mnt
        + "\nstate-dir = " + state + "\nchunk-size = 1M\nparallel = 2\nstop-timeout = " + stopTimeout + "\n");
    return conf;
  }

  /**
   * The daemon as systemd starts it: installed launcher, empty environment, --config and --foreground; with a
   * part latency every uploaded part takes that long, so an upload is surely in flight when the test stops it.
   */
  private Process foreground(Path conf, String notifySocket, long partLatencyMillis, String logName)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/env", "-i"));
    if (notifySocket != null) {
      cmd.add("NOTIFY_SOCKET=" + notifySocket);
    }
    if (partLatencyMillis > 0) {
      cmd.add("STREAMFS_TEST_PART_LATENCY_MS=" + partLatencyMillis);
    }
    cmd.addAll(List.of(launcher.toString(), "mount", "--config", conf.toString(), "--foreground"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve(logName).toFile())).start();
    daemons.add(p);
    return p;
  }

  private void awaitMounted(Path mnt, Process d, String logName) throws Exception {
    waitFor(() -> "fuse.streamfs".equals(mountType(mnt)) || !d.isAlive(), 90);
    assertEquals("fuse.streamfs", mountType(mnt), "not mounted: " + log(logName));
  }

  private void unmountAndAwaitDaemon(Path mnt, Path state) throws Exception {
    long pid = Long.parseLong(Files.readString(state.resolve("daemon.pid")).strip());
    Result u = exec(List.of("umount", mnt.toString()), 60);
    assertEquals(0, u.code, u::toString);
    assertNull(mountType(mnt));
    waitFor(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), 60);
    assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive(), "daemon exited");
  }

  private void linkHelper() throws IOException {
    if (Files.exists(SBIN_HELPER, LinkOption.NOFOLLOW_LINKS)) {
      boolean ours = Files.isSymbolicLink(SBIN_HELPER)
          && Files.readSymbolicLink(SBIN_HELPER).toString().contains("junit");
      assumeTrue(ours, "a mount.fuse.streamfs is installed in /sbin; not replacing it");
      Files.delete(SBIN_HELPER);
    }
    Files.createSymbolicLink(SBIN_HELPER, helper);
    linkedHelper = true;
  }

  private Path dir(String name) throws IOException {
    return Files.createDirectories(tmp.resolve(name));
  }

  private String log(String name) {
    try {
      String s = Files.readString(tmp.resolve(name));
      return "\n--- " + name + " ---\n" + (s.length() > 6000 ? s.substring(s.length() - 6000) : s);
    } catch (IOException e) {
      return "(no " + name + ")";
    }
  }

  private static Path write(Path p, byte[] data) throws IOException {
    return Files.write(p, data);
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** The type mounted exactly at {@code p} per /proc/self/mountinfo, or null. */
  static String mountType(Path p) {
    try {
      String found = null;
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
        String[] f = line.split(" ");
        if (f.length > 4 && f[4].replace("\\040", " ").equals(p.toString())) {
          int dash = line.indexOf(" - ");
          found = line.substring(dash + 3).split(" ")[0];
        }
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  private static void waitFor(BooleanSupplier c, int seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!c.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(50);
    }
  }

  private record Result(int code, String out) {
    @Override
    public String toString() {
      return "exit " + code + ": " + out;
    }
  }

  private static Result exec(List<String> cmd, int seconds) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timed out: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}

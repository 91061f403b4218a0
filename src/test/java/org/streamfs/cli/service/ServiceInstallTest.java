package org.streamfs.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Installs into temporary directories and runs what was installed: the launcher with an empty environment,
 * the mount helper in fake mode (-f), and {@code systemd-analyze verify} on the installed unit.
 */
class ServiceInstallTest {
  @TempDir Path tmp;

  @Test
  void installsEverythingUnderRootAndIsIdempotent() throws Exception {
    Path root = tmp.resolve("root");
    Path jar = probeJar();
    CommandResult first = run("--root", root.toString(), "--jar", jar.toString());
    assertEquals(0, first.code, first.err);
    assertEquals(List.of("installed /etc/streamfs", "installed /usr/local/lib/streamfs/streamfs.jar",
        "installed /usr/local/bin/streamfs", "installed /etc/systemd/system/streamfs@.service",
        "installed /sbin/mount.fuse.streamfs", "installed /usr/local/share/streamfs/example.conf"), first.lines());
    assertEquals("rwxr-xr-x", perms(root.resolve("usr/local/bin/streamfs")));
    assertEquals("rwxr-xr-x", perms(root.resolve("sbin/mount.fuse.streamfs")));
    assertEquals("rw-r--r--", perms(root.resolve("etc/systemd/system/streamfs@.service")));
    assertEquals(-1, Files.mismatch(jar, root.resolve("usr/local/lib/streamfs/streamfs.jar")));
    String launcher = Files.readString(root.resolve("usr/local/bin/streamfs"));
    assertTrue(launcher.contains("jar=\"/usr/local/lib/streamfs/streamfs.jar\""), launcher);
    assertTrue(launcher.contains("installed_java=\"" + System.getProperty("java.home") + "/bin/java\""));
    assertEquals(Files.readString(Path.of("systemd/streamfs@.service")),
        Files.readString(root.resolve("etc/systemd/system/streamfs@.service")), "default layout: unit as in git");

    CommandResult again = run("--root", root.toString(), "--jar", jar.toString());
    assertEquals(0, again.code);
    assertTrue(again.lines().stream().allMatch(l -> l.startsWith("unchanged ")), again.out);

    Files.writeString(root.resolve("etc/systemd/system/streamfs@.service"), "edited\n");
    CommandResult repaired = run("--root", root.toString(), "--jar", jar.toString());
    assertTrue(repaired.lines().contains("updated /etc/systemd/system/streamfs@.service"), repaired.out);
    assertEquals(Files.readString(Path.of("systemd/streamfs@.service")),
        Files.readString(root.resolve("etc/systemd/system/streamfs@.service")));
    try (var s = Files.list(root.resolve("etc/systemd/system"))) {
      assertEquals(1, s.count(), "no temp files left behind");
    }
  }

  @Test
  void prefixIsRewrittenInEveryFile() throws Exception {
    Layout l = installAt(tmp.resolve("p"));
    String unit = Files.readString(l.unit);
    assertTrue(unit.contains("ExecStart=" + l.prefix + "/bin/streamfs mount --config " + l.conf
        + "/%i.conf --foreground"), unit);
    assertTrue(unit.contains("EnvironmentFile=-" + l.conf + "/%i.env"), unit);
    assertFalse(unit.contains("/usr/local/"), unit);
    assertTrue(Files.readString(l.helper).contains("streamfs=" + l.prefix + "/bin/streamfs\n"));
    assertTrue(Files.readString(l.prefix.resolve("bin/streamfs"))
        .contains("jar=\"" + l.prefix + "/lib/streamfs/streamfs.jar\""));
  }

  @Test
  void refusesARelativePrefixAndAMissingJar() throws Exception {
    CommandResult rel = run("--root", tmp.toString(), "--prefix", "usr", "--jar", probeJar().toString());
    assertEquals(1, rel.code);
    assertEquals("streamfs install-service: not an absolute path: usr", rel.err.strip());
    CommandResult missing = run("--root", tmp.toString(), "--jar", tmp.resolve("none.jar").toString());
    assertEquals(1, missing.code);
    assertTrue(missing.err.contains("jar not found: " + tmp.resolve("none.jar")), missing.err);
  }

  @Test
  void systemdAnalyzeVerifiesTheInstalledUnit() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed");
    Layout l = installAt(tmp.resolve("v"));
    Path instance = l.unit.resolveSibling("streamfs@docs.service");
    Process p = new ProcessBuilder("systemd-analyze", "verify", "--man=no", instance.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals("", out.strip(), "no warnings at all");
  }

  @Test
  void launcherFindsJavaInAnEmptyEnvironmentAndForcesUtf8() throws Exception {
    Layout l = installAt(tmp.resolve("l"));
    Process p = new ProcessBuilder("/usr/bin/env", "-i", l.prefix.resolve("bin/streamfs").toString(),
        "mount", "a b", "ü").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("args=mount|a b|ü\n"), out);
    assertTrue(out.contains("jnu=UTF-8\n"), out);
    long maxHeap = Long.parseLong(out.replaceAll("(?s).*maxheap=(\\d+)\n.*", "$1"));
    assertTrue(maxHeap > 200L << 20 && maxHeap <= 256L << 20, "-Xmx256m by default: " + maxHeap);
  }

  @Test
  void launcherExplainsAMissingJar() throws Exception {
    Layout l = installAt(tmp.resolve("m"));
    Files.delete(l.prefix.resolve("lib/streamfs/streamfs.jar"));
    Process p = new ProcessBuilder("/usr/bin/env", "-i", l.prefix.resolve("bin/streamfs").toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(69, p.exitValue());
    assertTrue(out.contains("streamfs.jar is missing"), out);
  }

  @Test
  void mountHelperMapsFstabOptions() throws Exception {
    Layout l = installAt(tmp.resolve("h"));
    String bin = l.prefix + "/bin/streamfs";
    assertEquals(bin + " mount --state-dir /var/lib/streamfs/docs --parallel 8 --store s3://bucket/docs "
        + "-o allow_other,ro,max_read=65536 /mnt/docs", helper(l, 0, "s3://bucket/docs", "/mnt/docs", "-f", "-o",
        "rw,_netdev,nofail,noauto,x-systemd.automount,x-systemd.idle-timeout=60,defaults,relatime,"
            + "state_dir=/var/lib/streamfs/docs,parallel=8,allow-other,ro,max_read=65536"));
    assertEquals(bin + " mount --config /etc/streamfs/docs.conf /mnt/docs",
        helper(l, 0, "none", "/mnt/docs", "-fnv", "-o", "config=/etc/streamfs/docs.conf", "-t", "fuse.streamfs"));
    assertEquals(bin + " mount --store /srv/store /mnt/x", helper(l, 0, "/srv/store", "/mnt/x", "-f"));
    assertEquals("mount.fuse.streamfs: option 'state-dir' needs a value (state-dir=...)",
        helper(l, 1, "none", "/mnt/x", "-f", "-o", "state-dir"));
    assertEquals("mount.fuse.streamfs: expected STORE and MOUNTPOINT", helper(l, 1, "none"));
    assertEquals("mount.fuse.streamfs: -N (mount namespaces) is not supported",
        helper(l, 1, "none", "/m", "-N", "/proc/1/ns/mnt"));
  }

  private String helper(Layout l, int expectedCode, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/env", "-i", l.helper.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(expectedCode, p.exitValue(), out);
    return out.lines().findFirst().orElse("").replaceFirst("^mount.fuse.streamfs: (/)", "$1");
  }

  private record Layout(Path prefix, Path unit, Path helper, Path conf) {}

  /** Installs with every path inside {@code dir} and the real root, as a test of the final contents. */
  private Layout installAt(Path dir) throws Exception {
    Path prefix = dir.resolve("usr");
    CommandResult r = run("--root", "/", "--prefix", prefix.toString(), "--sbin-dir", dir.resolve("sbin").toString(),
        "--unit-dir", dir.resolve("units").toString(), "--config-dir", dir.resolve("etc").toString(),
        "--jar", probeJar().toString(), "--no-reload");
    assertEquals(0, r.code, r.err);
    return new Layout(prefix, dir.resolve("units/streamfs@.service"), dir.resolve("sbin/mount.fuse.streamfs"),
        dir.resolve("etc"));
  }

  /** A runnable jar whose main class prints its arguments and encoding. */
  private Path probeJar() throws IOException {
    Path jar = tmp.resolve("probe.jar");
    if (Files.exists(jar)) {
      return jar;
    }
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, LauncherProbe.class.getName());
    String entry = LauncherProbe.class.getName().replace('.', '/') + ".class";
    try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, m);
         var in = LauncherProbe.class.getClassLoader().getResourceAsStream(entry)) {
      jos.putNextEntry(new JarEntry(entry));
      in.transferTo(jos);
      jos.closeEntry();
    }
    return jar;
  }

  private record CommandResult(int code, String out, String err) {
    List<String> lines() {
      return out.lines().collect(Collectors.toList());
    }
  }

  private static CommandResult run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new InstallServiceCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new CommandResult(code, out.toString(), err.toString());
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}

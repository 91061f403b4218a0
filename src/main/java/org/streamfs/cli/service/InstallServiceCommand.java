package org.streamfs.cli.service;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code streamfs install-service}: the picocli face of {@link ServiceInstaller}. Prints one line per file
 * ({@code installed}, {@code updated}, {@code unchanged}), then runs {@code systemctl daemon-reload} when the
 * unit changed and systemd runs this system. Exit 0 on success, 1 when a file could not be written.
 */
@Command(name = "install-service", mixinStandardHelpOptions = true,
    description = {"Install the jar, the launcher, the systemd unit streamfs@.service and the fstab mount helper "
        + "mount.fuse.streamfs. Safe to run again (unchanged files are left alone).",
        "Then: put a mount's options in /etc/streamfs/NAME.conf and `systemctl enable --now streamfs@NAME`, or "
        + "add a line of type fuse.streamfs to /etc/fstab."})
public final class InstallServiceCommand implements Callable<Integer> {
  @Option(names = "--root", defaultValue = "/", paramLabel = "DIR",
      description = "Install under this directory (like DESTDIR; file contents still name the final paths). "
          + "Default: ${DEFAULT-VALUE}")
  Path root;

  @Option(names = "--prefix", defaultValue = ServiceInstaller.DEFAULT_PREFIX, paramLabel = "DIR",
      description = "Where lib/streamfs/streamfs.jar and bin/streamfs go. Default: ${DEFAULT-VALUE}")
  String prefix;

  @Option(names = "--sbin-dir", defaultValue = "/sbin", paramLabel = "DIR",
      description = "Where mount(8) looks for mount.fuse.streamfs. Default: ${DEFAULT-VALUE}")
  String sbinDir;

  @Option(names = "--unit-dir", defaultValue = "/etc/systemd/system", paramLabel = "DIR",
      description = "Where the unit goes. Default: ${DEFAULT-VALUE}")
  String unitDir;

  @Option(names = "--config-dir", defaultValue = ServiceInstaller.DEFAULT_CONFIG_DIR, paramLabel = "DIR",
      description = "Where the unit looks for NAME.conf and NAME.env. Default: ${DEFAULT-VALUE}")
  String configDir;

  @Option(names = "--jar", paramLabel = "FILE",
      description = "The jar to install. Default: the jar this command runs from.")
  Path jar;

  @Option(names = "--no-reload", description = "Do not run systemctl daemon-reload.")
  boolean noReload;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path source = jar != null ? jar : ServiceInstaller.runningJar().orElse(null);
    if (source == null) {
      err.println("streamfs install-service: not running from a jar; give --jar target/streamfs-all.jar");
      return 1;
    }
    ServiceInstaller.Layout layout;
    try {
      layout = new ServiceInstaller.Layout(root, prefix, sbinDir, unitDir, configDir);
    } catch (IllegalArgumentException e) {
      err.println("streamfs install-service: " + e.getMessage());
      return 1;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<ServiceInstaller.Step> steps;
    try {
      steps = new ServiceInstaller(layout, java).install(source);
    } catch (java.io.IOException e) {
      err.println("streamfs install-service: " + e);
      return 1;
    }
    steps.forEach(out::println);
    if (!noReload && ServiceInstaller.unitChanged(steps) && root.toAbsolutePath().normalize().equals(Path.of("/"))
        && Files.isDirectory(Path.of("/run/systemd/system"))) {
      Process p = new ProcessBuilder("systemctl", "daemon-reload").inheritIO().start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        err.println("streamfs install-service: systemctl daemon-reload failed; run it by hand");
        return 1;
      }
      out.println("reloaded systemd units");
    }
    out.flush();
    return 0;
  }
}

package org.streamfs.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import org.streamfs.cli.config.ConfigException;
import org.streamfs.cli.config.MountConfig;
import org.streamfs.cli.service.MountProbe;
import org.streamfs.cli.service.SystemdNotify;
import org.streamfs.fs.fuse.FuseMount;
import org.streamfs.transfer.codec.CodecOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs mount}: reads the options (config file, then flags), and either runs the daemon in the
 * foreground or re-executes itself with {@code --foreground} as a detached child (new session, output to
 * {@code STATE_DIR/daemon.log}) and returns 0 only once the mount answers, or 1 with the child's one-line
 * reason. Exit codes: 0 mounted, 1 cannot mount, 2 bad options.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount a store on a directory; writes stream up as chunked uploads, reads fetch chunks.")
public final class MountCommand implements Callable<Integer> {
  /** How often the daemon runs its upkeep (owed compensations, retention cleanup). */
  static final Duration UPKEEP_EVERY = Duration.ofMinutes(10);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", description = "mount configuration file (key = value lines)")
  Path config;
  @Option(names = "--store", description = "store URI: file:///DIR or an absolute path")
  String store;
  @Option(names = "--state-dir", description = "state directory (catalog, staging, cache), created 0700")
  String stateDir;
  @Option(names = "--chunk-size", description = "chunk size, e.g. 8M (0 = automatic)")
  String chunkSize;
  @Option(names = "--parallel", description = "chunks transferred in parallel (1-64)")
  String parallel;
  @Option(names = "--cache-max-size", description = "bound of the on-disk read cache, e.g. 2G")
  String cacheMaxSize;
  @Option(names = "--max-dirty", description = "bound of staged bytes not yet in the store, e.g. 1G")
  String maxDirty;
  @Option(names = "--foreground", description = "stay in the foreground")
  boolean foreground;
  @Option(names = "--allow-other", description = "let other users use the mount")
  boolean allowOther;
  @Option(names = "--log-level", description = "error, warn, info, debug or trace")
  String logLevel;
  @Option(names = "--stop-timeout", description = "on SIGTERM, how long to keep flushing, e.g. 4min")
  String stopTimeout;
  @Option(names = "--write-back-delay", description = "how long a closed file waits for a reopen before its"
      + " upload completes, e.g. 1s (0 = at every close; default 1s)")
  String writeBackDelay;
  @Option(names = "--retention-days", description = "days a failed upload's staged bytes and ended uploads'"
      + " records are kept (default 7)")
  String retentionDays;
  @Option(names = "--test-upkeep-seconds", hidden = true, description = "test only: run the upkeep this often")
  long testUpkeepSeconds;
  @Option(names = "--on-conflict", description = "a write another writer beat to the file: copy (saved next to"
      + " it as NAME.conflict-HOST-TIME.EXT, default) or fail (not published; kept for streamfs recover)")
  String onConflict;
  @Option(names = "--compress", description = "compress each chunk: zstd 1-22, deflate 1-9 (0 = off)")
  String compress;
  @Option(names = "--compress-codec", description = "zstd (default) or deflate")
  String compressCodec;
  @Option(names = "--encrypt-key-file", description = "encrypt each chunk (AES-256-GCM); FILE holds a 256-bit"
      + " key or a passphrase and must not be readable by group or others")
  String encryptKeyFile;
  @Option(names = "-o", description = "FUSE mount options, comma-separated (e.g. allow_other)")
  List<String> options = new ArrayList<>();
  @Option(names = "--single-threaded", hidden = true, description = "run libfuse's loop single-threaded (-s)")
  boolean singleThreaded;
  @Option(names = "--test-read-latency-ms", hidden = true, description = "test only: delay every store read")
  long testReadLatencyMs;
  @Option(names = "--status-file", hidden = true, description = "where the foreground child reports readiness")
  Path statusFile;
  @Parameters(paramLabel = "MOUNTPOINT", arity = "0..1", description = "directory to mount on")
  String mountpoint;

  public static void main(String[] args) {
    System.exit(new CommandLine(new MountCommand()).execute(args));
  }

  @Override
  public Integer call() {
    MountConfig cfg;
    try {
      cfg = (config != null ? MountConfig.load(config) : MountConfig.empty())
          .overriddenBy(flags()).validate();
    } catch (ConfigException e) {
      System.err.println("streamfs mount: " + e.getMessage());
      return 2;
    }
    Path mnt = cfg.mountpoint().orElseThrow().toAbsolutePath().normalize();
    Path state = cfg.stateDir().orElse(defaultStateDir(mnt));
    String storeUri;
    if (cfg.store().isPresent()) {
      storeUri = cfg.store().get();
    } else {
      try {
        storeUri = EngineOptions.ensurePrivateDir(EngineOptions.defaultStoreDir()).toUri().toString();
      } catch (IOException e) {
        System.err.println("streamfs mount: cannot create the default store: " + e.getMessage());
        return ExitCodes.MOUNT;
      }
    }
    CodecOptions codec;
    try {
      codec = CodecOptions.fromCli(cfg.compress().orElse(0), cfg.compressCodec().orElse("zstd"),
          cfg.encryptKeyFile().orElse(null));
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("streamfs mount: " + e.getMessage());
      return 2;
    }
    List<String> fuseOpts = new ArrayList<>(cfg.fuseOptions());
    if (cfg.allowOther() && !fuseOpts.contains("allow_other")) {
      fuseOpts.add("allow_other");
    }
    MountDaemon.Settings settings = new MountDaemon.Settings(storeUri, mnt, state,
        cfg.chunkSize().orElse(8L << 20), cfg.parallel().orElse(4), cfg.cacheMaxSize().orElse(2L << 30),
        cfg.maxDirty().orElse(1L << 30), fuseOpts, singleThreaded, testReadLatencyMs, cfg.stopTimeout(), codec,
        cfg.retentionDays(), testUpkeepSeconds > 0 ? Duration.ofSeconds(testUpkeepSeconds) : UPKEEP_EVERY,
        cfg.writeBackDelay(), cfg.onConflict());
    if (cfg.foreground()) {
      return foreground(settings, cfg.logLevel().orElse("info"));
    }
    return daemonize(settings);
  }

  private Map<String, String> flags() {
    Map<String, String> f = MountConfig.flagsFrom(spec.commandLine().getParseResult());
    if (mountpoint != null) {
      f.put("mountpoint", Path.of(mountpoint).toAbsolutePath().normalize().toString());
    }
    if (stateDir != null) {
      f.put("state-dir", Path.of(stateDir).toAbsolutePath().normalize().toString());
    }
    if (store != null && !store.contains(":") && !store.startsWith("/")) {
      f.put("store", Path.of(store).toAbsolutePath().normalize().toString());
    }
    return f;
  }

  static Path defaultStateDir(Path mnt) {
    String xdg = System.getenv("XDG_STATE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local",
        "state");
    String name = mnt.toString().replace('/', '_').replaceAll("^_+", "");
    return base.resolve("streamfs").resolve(name.isEmpty() ? "root" : name);
  }

  private int foreground(MountDaemon.Settings settings, String level) {
    setLogLevel(level);
    try {
      new MountDaemon(settings).run(() -> {
        // READY only once the mount answers a stat (not merely appears in mountinfo): systemd trusts it.
        if (awaitAnswer(settings.mountpoint())) {
          report("ready");
          SystemdNotify.fromEnvironment().ready("mounted " + settings.mountpoint());
        } else {
          LoggerFactory.getLogger(MountCommand.class).error("{} is mounted but does not answer",
              settings.mountpoint());
        }
      });
      return 0;
    } catch (MountDaemon.MountFailure e) {
      report("error: " + e.getMessage());
      System.err.println("streamfs mount: " + e.getMessage());
      return 1;
    } catch (IOException | RuntimeException e) {
      report("error: " + e);
      System.err.println("streamfs mount: " + e);
      LoggerFactory.getLogger(MountCommand.class).error("mount failed", e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static boolean awaitAnswer(Path mountpoint) {
    try {
      return MountProbe.awaitAnswer(mountpoint, java.time.Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void report(String status) {
    if (statusFile != null) {
      try {
        Files.writeString(statusFile, status + "\n");
      } catch (IOException e) {
        System.err.println("streamfs mount: cannot write " + statusFile + ": " + e.getMessage());
      }
    }
  }

  private int daemonize(MountDaemon.Settings settings) {
    Path state = settings.stateDir();
    try {
      Files.createDirectories(state);
      Path status = state.resolve("start-" + UUID.randomUUID() + ".status");
      List<String> cmd = new ArrayList<>();
      if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
        cmd.add("/usr/bin/setsid");
      }
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
          cmd.add(a);
        }
      }
      cmd.add("-Dfile.encoding=UTF-8");
      cmd.add("-Dsun.jnu.encoding=UTF-8");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(MountCommand.class.getName());
      cmd.add("--foreground");
      cmd.add("--state-dir=" + state);
      cmd.add("--status-file=" + status);
      for (String a : spec.commandLine().getParseResult().originalArgs()) {
        if (!a.equals("--foreground") && !a.startsWith("--state-dir") && !a.equals("mount")) {
          cmd.add(a);
        }
      }
      if (stateDir != null) {
        cmd.remove(stateDir);
      }
      Path log = state.resolve("daemon.log");
      Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline) {
        if (Files.exists(status)) {
          String st = Files.readString(status, StandardCharsets.UTF_8).strip();
          if (st.equals("ready") && FuseMount.isMounted(settings.mountpoint())) {
            Files.deleteIfExists(status);
            System.out.println("streamfs: mounted " + settings.store() + " on " + settings.mountpoint()
                + " (pid " + p.pid() + ", log " + log + ")");
            return 0;
          }
          if (st.startsWith("error: ")) {
            Files.deleteIfExists(status);
            System.err.println("streamfs mount: " + st.substring(7));
            return 1;
          }
        }
        if (!p.isAlive() && !Files.exists(status)) {
          System.err.println("streamfs mount: the daemon exited with code " + p.exitValue() + "; see " + log);
          return 1;
        }
        Thread.sleep(50);
      }
      System.err.println("streamfs mount: the mount did not answer within 60 s; see " + log);
      return 1;
    } catch (IOException e) {
      System.err.println("streamfs mount: cannot start the daemon: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  static void setLogLevel(String level) {
    org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root instanceof ch.qos.logback.classic.Logger lb) {
      lb.setLevel(ch.qos.logback.classic.Level.toLevel(level, ch.qos.logback.classic.Level.INFO));
    }
  }

}

package org.streamfs.cli.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Puts streamfs in place as a system service, idempotently: the jar ({@code PREFIX/lib/streamfs/streamfs.jar}),
 * the launcher ({@code PREFIX/bin/streamfs}), the template unit ({@code /etc/systemd/system/streamfs@.service}),
 * the fstab mount helper ({@code /sbin/mount.fuse.streamfs}), the example config
 * ({@code PREFIX/share/streamfs/example.conf}) and the config directory {@code /etc/streamfs}. The files come
 * from {@code systemd/} in the repository, carried inside the jar; the default paths in them ({@code /usr/local},
 * {@code /etc/streamfs}) are rewritten to the chosen ones. Everything is placed under {@code root} (like
 * DESTDIR), while the contents refer to the final paths. A file whose contents already match is left alone; a
 * changed one is replaced atomically (temp file, then rename), so a running daemon keeps its old jar.
 */
public final class ServiceInstaller {
  static final String RESOURCES = "files/";
  static final String DEFAULT_PREFIX = "/usr/local";
  static final String DEFAULT_CONFIG_DIR = "/etc/streamfs";

  /** What to install where; all paths absolute and as seen by the installed system (root excluded). */
  public record Layout(Path root, String prefix, String sbinDir, String unitDir, String configDir) {
    public Layout {
      for (String p : List.of(prefix, sbinDir, unitDir, configDir)) {
        if (!p.startsWith("/")) {
          throw new IllegalArgumentException("not an absolute path: " + p);
        }
      }
    }

    /** The standard places: /usr/local, /sbin, /etc/systemd/system, /etc/streamfs. */
    public static Layout standard(Path root) {
      return new Layout(root, DEFAULT_PREFIX, "/sbin", "/etc/systemd/system", DEFAULT_CONFIG_DIR);
    }

    String launcher() {
      return strip(prefix) + "/bin/streamfs";
    }

    String jar() {
      return strip(prefix) + "/lib/streamfs/streamfs.jar";
    }

    Path placed(String path) {
      return root.resolve(path.substring(1));
    }

    private static String strip(String p) {
      return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
  }

  /** One line of the report: what happened to which path. */
  public record Step(String path, String action) {
    @Override
    public String toString() {
      return action + " " + path;
    }
  }

  private final Layout layout;
  private final String javaBinary;

  public ServiceInstaller(Layout layout, String javaBinary) {
    this.layout = layout;
    this.javaBinary = javaBinary;
  }

  /** Installs everything; returns one step per file, each "installed", "updated" or "unchanged". */
  public List<Step> install(Path jar) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("jar not found: " + jar);
    }
    List<Step> steps = new ArrayList<>();
    steps.add(dir(layout.configDir(), "rwxr-xr-x"));
    steps.add(copy(jar, layout.jar(), "rw-r--r--"));
    steps.add(write(layout.launcher(), rewrite(resource("streamfs-launcher"))
        .replace("@INSTALLED_JAVA@", javaBinary), "rwxr-xr-x"));
    steps.add(write(layout.unitDir() + "/streamfs@.service", rewrite(resource("streamfs@.service")), "rw-r--r--"));
    steps.add(write(layout.sbinDir() + "/mount.fuse.streamfs", rewrite(resource("mount.fuse.streamfs")),
        "rwxr-xr-x"));
    steps.add(write(layout.prefix() + "/share/streamfs/example.conf", rewrite(resource("example.conf")),
        "rw-r--r--"));
    return steps;
  }

  /** Whether a unit file changed, so that systemd must re-read its units. */
  public static boolean unitChanged(List<Step> steps) {
    return steps.stream().anyMatch(s -> s.path().endsWith(".service") && !s.action().equals("unchanged"));
  }

  /** The jar this code runs from, if it runs from a jar (not from target/classes). */
  public static Optional<Path> runningJar() {
    try {
      Path p = Path.of(ServiceInstaller.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      return Optional.empty();
    }
  }

  private String rewrite(String text) {
    return text.replace(DEFAULT_PREFIX + "/", Layout.strip(layout.prefix()) + "/")
        .replace(DEFAULT_CONFIG_DIR + "/", Layout.strip(layout.configDir()) + "/");
  }

  static String resource(String name) {
    try (InputStream in = ServiceInstaller.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCES + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Step dir(String path, String perms) throws IOException {
    Path d = layout.placed(path);
    if (Files.isDirectory(d)) {
      return new Step(path, "unchanged");
    }
    Files.createDirectories(d);
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(perms));
    return new Step(path, "installed");
  }

  private Step write(String path, String content, String perms) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    Path target = layout.placed(path);
    if (Files.isRegularFile(target) && java.util.Arrays.equals(Files.readAllBytes(target), bytes)
        && PosixFilePermissions.toString(Files.getPosixFilePermissions(target)).equals(perms)) {
      return new Step(path, "unchanged");
    }
    return publish(target, path, perms, tmp -> Files.write(tmp, bytes));
  }

  private Step copy(Path source, String path, String perms) throws IOException {
    Path target = layout.placed(path);
    if (Files.isRegularFile(target) && Files.mismatch(source, target) == -1
        && PosixFilePermissions.toString(Files.getPosixFilePermissions(target)).equals(perms)) {
      return new Step(path, "unchanged");
    }
    return publish(target, path, perms, tmp -> Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING));
  }

  private interface Filler {
    void fill(Path tmp) throws IOException;
  }

  private static Step publish(Path target, String path, String perms, Filler filler) throws IOException {
    Files.createDirectories(target.getParent());
    boolean existed = Files.exists(target);
    Path tmp = target.resolveSibling("." + target.getFileName() + ".install-tmp");
    try {
      filler.fill(tmp);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(perms));
      try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return new Step(path, existed ? "updated" : "installed");
  }
}

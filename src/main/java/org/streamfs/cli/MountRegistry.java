package org.streamfs.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Optional;
import org.streamfs.model.Sha256;

/**
 * How the CLI finds the daemon (state directory, pid) of a mount point. The mount root answers the
 * read-only xattr {@code user.streamfs.statedir}; in addition the daemon writes a small registry file
 * {@code $XDG_RUNTIME_DIR/streamfs/mounts/<hash of mount point>} (or {@code /tmp/streamfs-<user>/...}
 * without XDG_RUNTIME_DIR) holding "mountpoint", "state-dir" and "pid" lines, used when the mount does not
 * answer (stale or hung). {@link #stateDirOf} tries the xattr first, then the file.
 */
public final class MountRegistry {
  private MountRegistry() {}

  static Path dir() {
    String xdg = System.getenv("XDG_RUNTIME_DIR");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg, "streamfs")
        : Path.of(System.getProperty("java.io.tmpdir"), "streamfs-" + System.getProperty("user.name"));
    return base.resolve("mounts");
  }

  static Path fileFor(Path mountpoint) {
    String abs = mountpoint.toAbsolutePath().normalize().toString();
    return dir().resolve(Sha256.hex(Sha256.digest(abs.getBytes(StandardCharsets.UTF_8))).substring(0, 16));
  }

  static void write(Path mountpoint, Path stateDir, long pid) throws IOException {
    Path f = fileFor(mountpoint);
    Files.createDirectories(f.getParent());
    Files.writeString(f, "mountpoint=" + mountpoint.toAbsolutePath().normalize() + "\nstate-dir=" + stateDir
        + "\npid=" + pid + "\n");
  }

  static void remove(Path mountpoint) {
    try {
      Files.deleteIfExists(fileFor(mountpoint));
    } catch (IOException e) {
      // best effort: a stale registry file is overwritten by the next mount
    }
  }

  /** The state directory of the daemon serving {@code mountpoint}; NoSuchFileException if none is known. */
  public static Path stateDirOf(Path mountpoint) throws IOException {
    Path mnt = mountpoint.toAbsolutePath().normalize();
    return find(mnt).orElseThrow(() -> new java.nio.file.NoSuchFileException(mnt.toString(), null,
        "no streamfs mount known there"));
  }

  /** The state directory of the daemon serving {@code mountpoint}, if any is known. */
  public static Optional<Path> find(Path mountpoint) {
    try {
      UserDefinedFileAttributeView v = Files.getFileAttributeView(mountpoint, UserDefinedFileAttributeView.class);
      if (v != null) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        v.read("streamfs.statedir", b);
        b.flip();
        return Optional.of(Path.of(StandardCharsets.UTF_8.decode(b).toString()));
      }
    } catch (IOException | RuntimeException e) {
      // not a streamfs mount or not answering: try the registry file
    }
    return field(mountpoint, "state-dir").map(Path::of);
  }

  /** The state directories of every mount in the registry (running, or left registered by a crash). */
  static List<Path> registeredStateDirs() {
    List<Path> out = new java.util.ArrayList<>();
    try (java.util.stream.Stream<Path> files = Files.list(dir())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try {
          for (String l : Files.readAllLines(f)) {
            if (l.startsWith("state-dir=")) {
              out.add(Path.of(l.substring("state-dir=".length())));
            }
          }
        } catch (IOException | RuntimeException e) {
          // unreadable or just removed: not a mount we can consult
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** The daemon's pid from the registry file, if known. */
  static Optional<Long> pidOf(Path mountpoint) {
    return field(mountpoint, "pid").map(Long::parseLong);
  }

  private static Optional<String> field(Path mountpoint, String name) {
    try {
      List<String> lines = Files.readAllLines(fileFor(mountpoint));
      for (String l : lines) {
        if (l.startsWith(name + "=")) {
          return Optional.of(l.substring(name.length() + 1));
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }
}

package org.streamfs.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.Sha256;

/**
 * Where the LMDB native library is loaded from. lmdbjava extracts its embedded library to a fresh temporary
 * file on every start ({@code /tmp/lmdbjava-native-library-*.so}, 353 KiB) and deletes it only at a normal
 * JVM exit, so every daemon killed with -9 left one behind (542 on the development machine after two days of
 * tests). streamfs extracts it once, under a name made of its SHA-256, into {@code
 * $XDG_CACHE_HOME/streamfs/native} (0700), checks the bytes at every start and points lmdbjava at it
 * ({@code lmdbjava.native.lib}). A library named by the user with that property is left alone; if the
 * directory cannot be used, lmdbjava extracts as before.
 */
final class LmdbNative {
  private static final Logger LOG = LoggerFactory.getLogger(LmdbNative.class);
  /** lmdbjava's property (TargetName.LMDB_NATIVE_LIB_PROP; that class must not be touched before it is set). */
  private static final String PROP = "lmdbjava.native.lib";
  private static boolean done;

  private LmdbNative() {}

  /** Sets {@code lmdbjava.native.lib} before lmdbjava loads its library (first call only). */
  static synchronized void prepare() {
    if (done) {
      return;
    }
    done = true;
    String arch = System.getProperty("os.arch");
    arch = "amd64".equals(arch) ? "x86_64" : arch;
    if (System.getProperty(PROP) != null || !"Linux".equals(System.getProperty("os.name"))
        || !("x86_64".equals(arch) || "aarch64".equals(arch))) {
      return;
    }
    // the name lmdbjava 0.9.3 resolves for glibc Linux (TargetName); if a later version moves it, the
    // resource is missing and lmdbjava extracts as before
    String resource = "org/lmdbjava/native/" + arch + "-linux-gnu.so";
    try (InputStream in = LmdbNative.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return;
      }
      byte[] lib = in.readAllBytes();
      String name = "lmdb-" + Sha256.hex(Sha256.digest(lib)).substring(0, 16)
          + resource.substring(resource.lastIndexOf('.'));
      Path dir = cacheDir().resolve("streamfs").resolve("native");
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      Path file = dir.resolve(name);
      if (!Files.isRegularFile(file) || !Arrays.equals(lib, Files.readAllBytes(file))) {
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
          Files.write(tmp, lib);
          try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
          }
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      try {
        System.load(file.toString()); // a home directory mounted noexec must not leave LMDB unloadable
      } catch (UnsatisfiedLinkError e) {
        LOG.debug("cached LMDB library {} does not load ({}); lmdbjava extracts its own", file, e.toString());
        return;
      }
      System.setProperty(PROP, file.toString());
    } catch (IOException | RuntimeException e) {
      LOG.debug("LMDB library not cached ({}); lmdbjava extracts it to a temporary file", e.toString());
    }
  }

  private static Path cacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && xdg.startsWith("/")) {
      return Path.of(xdg);
    }
    return Path.of(System.getProperty("user.home"), ".cache");
  }
}

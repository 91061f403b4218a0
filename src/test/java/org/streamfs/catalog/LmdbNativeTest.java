package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LMDB library comes from one cached copy (no temporary file per JVM that a kill -9 would leave in /tmp),
 * in a 0700 directory, with the bytes lmdbjava embeds.
 */
class LmdbNativeTest {
  @TempDir
  Path dir;

  @Test
  void theLibraryIsLoadedFromTheCachedCopyNotATemporaryFile() throws Exception {
    try (Catalog c = Catalog.open(dir.resolve("catalog"))) {
      String lib = System.getProperty("lmdbjava.native.lib");
      assertTrue(lib != null && lib.contains("/streamfs/native/lmdb-"), "lmdbjava.native.lib = " + lib);
      Path file = Path.of(lib);
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
      String arch = "amd64".equals(System.getProperty("os.arch")) ? "x86_64" : System.getProperty("os.arch");
      try (var in = getClass().getClassLoader().getResourceAsStream("org/lmdbjava/native/" + arch + "-linux-gnu.so")) {
        assertTrue(java.util.Arrays.equals(in.readAllBytes(), Files.readAllBytes(file)), "the embedded bytes");
      }
      String maps = Files.readString(Path.of("/proc/self/maps"));
      assertTrue(maps.contains(lib), "the process maps the cached copy");
      assertFalse(maps.contains("lmdbjava-native-library-"), "no temporary copy was loaded");
    }
  }
}

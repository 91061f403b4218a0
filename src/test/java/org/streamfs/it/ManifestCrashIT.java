package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon dies (as with kill -9) between the steps of a publish: before the store completes the upload,
 * or after it and before the manifest is written beside it. Neither leaves a manifest vouching for bytes
 * it does not describe, a mount with a fresh state dir (another machine) reads what the store holds without
 * an error, and the crashed mount's own state dir finishes the job at its next start: the file stored
 * whole, with a manifest that other machines verify.
 */
class ManifestCrashIT {
  @TempDir
  Path root;

  private static String verified(Mounted m, String path) throws Exception {
    return m.sh("getfattr -n user.streamfs.verified --only-values " + path).strip();
  }

  private static long sidecars(Path store) throws Exception {
    Path dir = store.resolve(".streamfs-manifests");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  /** Writes f.bin through a mount that dies at the first {@code method} call of the store on it. */
  private Path crashAt(String method, Path store) throws Exception {
    Path src = root.resolve("src.bin");
    try (Mounted a = new Mounted(root.resolve("a"), store, "--chunk-size", "1M")
        .withEnv("STREAMFS_TEST_HALT_AT", method).start()) {
      a.sh("head -c 5000000 /dev/urandom > ../src.bin && cp ../src.bin mnt/f.bin");
      a.cli("sync", a.mnt.toString()); // the daemon dies during it
      ProcessHandle daemon = ProcessHandle.of(a.pid()).orElse(null);
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (daemon != null && daemon.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(daemon == null || !daemon.isAlive(), "the daemon did not die at " + method);
    }
    return src;
  }

  private void resumeAndVerifyElsewhere(Path store, Path src) throws Exception {
    try (Mounted again = new Mounted(root.resolve("a"), store, "--chunk-size", "1M").start()) {
      assertEquals(0, again.cli("sync", again.mnt.toString()).code(), again.log());
      again.sh("cmp ../src.bin mnt/f.bin");
    }
    try (Mounted c = new Mounted(root.resolve("c"), store, "--chunk-size", "1M").start()) {
      c.sh("cmp " + src + " mnt/f.bin");
      assertEquals("yes", verified(c, "mnt/f.bin"), "the resumed publish left a manifest other machines use");
    }
    assertEquals(1, sidecars(store));
    assertTrue(Files.isRegularFile(store.resolve("f.bin")));
    assertEquals(-1L, Files.mismatch(src, store.resolve("f.bin")));
  }

  @Test
  void aCrashAfterTheObjectAndBeforeItsManifestServesNoWrongByteAndResumes() throws Exception {
    Path store = root.resolve("store");
    Path src = crashAt("writeManifest", store);
    assertEquals(-1L, Files.mismatch(src, store.resolve("f.bin")), "the object was published whole");
    assertEquals(0, sidecars(store), "no manifest was written");
    try (Mounted b = new Mounted(root.resolve("b"), store, "--chunk-size", "1M").start()) {
      b.sh("cmp " + src + " mnt/f.bin");
      assertEquals("no", verified(b, "mnt/f.bin"), "nothing vouches for it yet");
    }
    resumeAndVerifyElsewhere(store, src);
  }

  @Test
  void aCrashBeforeTheStoreCompletesLeavesNoObjectAndNoManifestAndResumes() throws Exception {
    Path store = root.resolve("store");
    Path src = crashAt("completeUpload", store);
    assertFalse(Files.exists(store.resolve("f.bin")), "no object before its completion");
    assertEquals(0, sidecars(store), "no manifest without an object");
    try (Mounted b = new Mounted(root.resolve("b"), store, "--chunk-size", "1M").start()) {
      assertFalse(b.sh("ls -A mnt").contains("f.bin"), "another machine sees no half-published file");
    }
    resumeAndVerifyElsewhere(store, src);
  }
}

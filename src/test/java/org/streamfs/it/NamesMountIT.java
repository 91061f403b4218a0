package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.fs.NameBytes;

/**
 * Linux names are bytes: every byte but NUL and {@code /} round-trips through a real mount (create, readdir,
 * stat, read, rename, symlink, unlink, and again after a remount), names that differ only in a byte that is
 * not UTF-8 stay two files, and keys written before (valid UTF-8) read back unchanged. The libfuse2 binding
 * cannot see such bytes and refuses them with EILSEQ instead of merging them.
 */
class NamesMountIT {
  @TempDir
  Path root;

  private static String script() throws Exception {
    Path p = Path.of("src/test/resources/it/names.py").toAbsolutePath();
    assertTrue(Files.isRegularFile(p), p.toString());
    return p.toString();
  }

  @Test
  void everyByteRoundTripsThroughTheMountAndARemount() throws Exception {
    String py = script();
    Path store = root.resolve("store");
    Files.createDirectories(store);
    // a key an older version wrote (valid UTF-8): it keeps its name
    Files.writeString(store.resolve("old été name"), "old");
    try (Mounted m = new Mounted(root).start()) {
      String out = m.sh("cd mnt && mkdir t && cd t && python3 " + py + " create");
      assertTrue(out.contains("OK"), out);
      assertEquals("old", m.sh("cat 'mnt/old été name'"));
      assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    }
    // the store holds valid UTF-8 keys: invalid bytes, controls and \ are U+F700+byte
    Set<String> keys = new TreeSet<>();
    try (Stream<Path> s = Files.list(store.resolve("t"))) {
      s.forEach(p -> keys.add(p.getFileName().toString()));
    }
    assertTrue(keys.contains("\uF780X"), keys.toString());
    assertTrue(keys.contains("\uF781X"), keys.toString());
    assertTrue(keys.contains("a\uF75Cb"), keys.toString());
    assertTrue(keys.contains("\uF77FX"), keys.toString());
    for (String k : keys) {
      assertFalse(k.contains("\uFFFD"), k);
      assertTrue(NameBytes.canonical(k), k);
    }
    byte[] stored = Files.readAllBytes(store.resolve("t").resolve("\uF7C3X"));
    assertEquals("content of \u00c3X\n", new String(stored, StandardCharsets.ISO_8859_1));
    try (Mounted m = new Mounted(root).start()) {
      String out = m.sh("cd mnt/t && python3 " + py + " check");
      assertTrue(out.contains("OK"), out);
    }
  }

  @Test
  void theLibfuse2BindingRefusesNamesItCannotTellApart() throws Exception {
    String py = script();
    try (Mounted m = new Mounted(root, "-o", "libfuse2").start()) {
      String out = m.sh("cd mnt && python3 " + py + " libfuse2");
      assertTrue(out.contains("OK"), out);
      assertEquals(0, m.cli("sync", m.mnt.toString()).code());
    }
    List<String> keys;
    try (Stream<Path> s = Files.list(root.resolve("store"))) {
      keys = s.map(p -> p.getFileName().toString()).filter(k -> !k.startsWith(".streamfs")).sorted().toList();
    }
    assertEquals(List.of("a\uF75Cb", "c\uF701d", "\u00e9t\u00e9", "\uF77F"), keys);
  }
}

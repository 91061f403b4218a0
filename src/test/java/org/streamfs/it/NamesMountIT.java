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

  /**
   * {@code streamfs put} and {@code get} take KEY as a name's bytes, as the mount shows it: what put stored
   * under $'\x80X' is the mount's file b'\x80X', and get reads it back; neighbours stay apart.
   */
  @Test
  void putAndGetTakeKeysAsTheNamesBytes() throws Exception {
    Path store = Files.createDirectories(root.resolve("store"));
    String[] bytes = {"\\x01", "\\x09", "\\x5c", "\\x7f", "\\x80", "\\x81", "\\xc3", "\\xff", "\\xef\\x9e\\x80",
        "\\xc3\\xa9"};
    String java = "java -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8 -jar " + Path.of(Mounted.jar())
        .toAbsolutePath() + " ";
    String opts = " -q --store file://" + store + " --state-dir " + root.resolve("cli-state") + " ";
    StringBuilder put = new StringBuilder("set -e; cd " + root + "\n");
    for (int i = 0; i < bytes.length; i++) {
      put.append("printf 'value ").append(i).append("' > src").append(i).append('\n');
      put.append(java).append("put").append(opts).append("src").append(i).append(" $'k").append(bytes[i])
          .append("X' >/dev/null\n");
    }
    try (Mounted m = new Mounted(root, store).start()) {
      m.sh(put.toString());
      StringBuilder py = new StringBuilder("import os\nfound = sorted(n for n in os.listdir(b'mnt') if n.startswith(b'k'))\n"
          + "want = sorted([");
      for (String b : bytes) {
        py.append("b'k").append(b).append("X', ");
      }
      py.append("])\nassert found == want, (found, want)\n");
      for (int i = 0; i < bytes.length; i++) {
        py.append("assert open(b'mnt/k").append(bytes[i]).append("X', 'rb').read() == b'value ")
            .append(i).append("'\n");
      }
      py.append("print('OK')\n");
      Files.writeString(root.resolve("check.py"), py.toString());
      String out = m.sh("python3 " + root.resolve("check.py"));
      assertTrue(out.contains("OK"), out);
    }
    StringBuilder get = new StringBuilder("set -e; cd " + root + "\n");
    for (int i = 0; i < bytes.length; i++) {
      get.append(java).append("get").append(opts).append("$'k").append(bytes[i]).append("X' out").append(i)
          .append(" >/dev/null\n");
    }
    Mounted.Result r = new Mounted(root.resolve("unused"), store).run(get.toString());
    assertEquals(0, r.code(), r.out());
    for (int i = 0; i < bytes.length; i++) {
      assertEquals("value " + i, Files.readString(root.resolve("out" + i)), bytes[i]);
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

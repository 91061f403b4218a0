package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;
import org.streamfs.transfer.ConflictNames;

/**
 * Two real mounts of one local store, each with its own state directory (two machines sharing a store):
 * both open x.txt, both write different bytes, both close. The first upload to land stays at x.txt; the
 * other is never lost: a conflict copy next to it (default), or with {@code --on-conflict fail} an error at
 * fsync and close, an entry in {@code ops --failed} with reason conflict, and its bytes back from
 * {@code streamfs recover}.
 */
class ConflictIT {
  @TempDir
  Path root;

  private static final String A_BYTES = "written through mount A\n";
  private static final String B_BYTES = "written through mount B, a little longer\n";

  /**
   * Opens x.txt on both mounts (read-write, no truncate), writes on both, then closes (fsyncs first, with
   * {@code fsync}) A, waits until A's bytes are in the store, then does the same on B. Prints B's fsync and
   * close outcome ("B fsync ok" or "B fsync EIO", "B close ok"/"B close EIO").
   */
  private String race(boolean fsync) {
    return "cd " + root + " && python3 - <<'PY'\n"
        + "import os, errno, time\n"
        + "a = os.open('a/mnt/x.txt', os.O_RDWR)\n"
        + "b = os.open('b/mnt/x.txt', os.O_RDWR)\n"
        + "os.write(a, b'" + A_BYTES.replace("\n", "\\n") + "')\n"
        + "os.write(b, b'" + B_BYTES.replace("\n", "\\n") + "')\n"
        + (fsync ? "os.fsync(a)\n" : "")
        + "os.close(a)\n"
        + "want = b'" + A_BYTES.replace("\n", "\\n") + "'\n"
        + "for i in range(200):\n"
        + "    if open('store/x.txt','rb').read() == want: break\n"
        + "    time.sleep(0.05)\n"
        + "def outcome(name, call):\n"
        + "    try:\n"
        + "        call(); print(name, 'ok')\n"
        + "    except OSError as e:\n"
        + "        print(name, errno.errorcode[e.errno])\n"
        + (fsync ? "outcome('B fsync', lambda: os.fsync(b))\n" : "")
        + "outcome('B close', lambda: os.close(b))\n"
        + "PY";
  }

  private Mounted[] mountBoth(String... bArgs) throws Exception {
    Path store = root.resolve("store");
    Files.createDirectories(root.resolve("a"));
    Files.createDirectories(root.resolve("b"));
    Mounted a = new Mounted(root.resolve("a"), store).start();
    Mounted b;
    try {
      b = new Mounted(root.resolve("b"), store, bArgs).start();
    } catch (Exception | AssertionError e) {
      a.close();
      throw e;
    }
    a.sh("cd " + root + " && printf 'base\\n' > a/mnt/x.txt && sync a/mnt/x.txt");
    // written in A, shown in B within a second or so
    b.sh("cd " + root + " && for i in $(seq 1 100); do [ \"$(cat b/mnt/x.txt 2>/dev/null)\" = base ] && exit 0;"
        + " sleep 0.1; done; exit 1");
    return new Mounted[] {a, b};
  }

  private static String sha(String s) {
    return Sha256.hex(Sha256.digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static String sha(Path p) throws Exception {
    return Sha256.hex(Sha256.digest(Files.readAllBytes(p)));
  }

  private List<Path> copies() throws Exception {
    try (Stream<Path> s = Files.list(root.resolve("store"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("x.conflict-")).toList();
    }
  }

  @Test
  void theLoserIsSavedAsAConflictCopyNextToTheWinner() throws Exception {
    Mounted[] m = mountBoth();
    try (Mounted a = m[0]; Mounted b = m[1]) {
      String out = a.sh(race(false));
      assertTrue(out.contains("B close ok"), out); // close returns once the bytes are staged
      for (int i = 0; i < 200 && copies().isEmpty(); i++) {
        Thread.sleep(50);
      }
      assertEquals(0, b.cli("sync", b.mnt.toString()).code(), b.log());
      assertEquals(sha(A_BYTES), sha(root.resolve("store/x.txt")), "the first upload to land stays");
      List<Path> copies = copies();
      assertEquals(1, copies.size(), String.valueOf(copies));
      String name = copies.get(0).getFileName().toString();
      assertTrue(name.matches("x\\.conflict-" + java.util.regex.Pattern.quote(ConflictNames.shortHost())
          + "-\\d{8}T\\d{6}\\.txt"), name);
      assertEquals(sha(B_BYTES), sha(copies.get(0)), "the loser's bytes, whole");
      // both mounts show the winner at x.txt and the copy next to it, byte-exact (within the attribute
      // cache's second)
      a.sh("cd " + root + " && for i in $(seq 1 50); do cmp -s <(printf '" + A_BYTES.replace("\n", "\\n")
          + "') b/mnt/x.txt && cmp -s a/mnt/x.txt b/mnt/x.txt && cmp -s store/" + name + " a/mnt/" + name
          + " && cmp -s store/" + name + " b/mnt/" + name + " && exit 0; sleep 0.1; done; exit 1");
      String log = b.log();
      int at = log.indexOf("conflict: another writer changed x.txt from version ");
      assertTrue(at >= 0, log);
      String line = log.substring(at, log.indexOf('\n', at));
      assertTrue(line.contains(" to version ") && line.contains("saved as " + name), line);
      String status = b.sh("python3 -c \"import os; print(os.getxattr('" + b.mnt.resolve("x.txt")
          + "','user.streamfs.status').decode())\"");
      assertTrue(status.contains("conflict") && status.contains(name), status);
      Mounted.Result ops = b.cli("ops", "--state-dir", b.state.toString(), "--all");
      assertTrue(ops.out().contains("conflict") && ops.out().contains(name), ops.out());
      // the copy carries its manifest: the other mount (another machine) reads it verified
      assertEquals("yes", a.sh("getfattr -n user.streamfs.verified --only-values mnt/" + name).strip());
    }
  }

  @Test
  void withOnConflictFailTheLoserGetsAnErrorAndItsBytesAreRecoverable() throws Exception {
    Mounted[] m = mountBoth("--on-conflict", "fail");
    try (Mounted a = m[0]; Mounted b = m[1]) {
      String out = a.sh(race(true));
      assertTrue(out.contains("B fsync EIO"), out);
      assertTrue(out.contains("B close EIO"), out); // the upload's failure is reported to close() too
      assertEquals(sha(A_BYTES), sha(root.resolve("store/x.txt")));
      assertEquals(List.of(), copies());
      Mounted.Result ops = b.cli("ops", "--state-dir", b.state.toString(), "--failed", "--json");
      assertEquals(0, ops.code(), ops.out());
      String op = null;
      for (JsonNode n : new ObjectMapper().readTree(ops.out().substring(ops.out().indexOf('[')))) {
        if ("x.txt".equals(n.path("key").asText()) && n.path("error").asText("").startsWith("conflict:")) {
          op = n.path("operation_id").asText(null);
        }
      }
      assertTrue(op != null, "ops --failed lists the loser with reason conflict: " + ops.out());
      Path back = root.resolve("recovered.txt");
      Mounted.Result rec = b.cli("recover", "--state-dir", b.state.toString(), op, back.toString());
      assertEquals(0, rec.code(), rec.out());
      assertEquals(sha(B_BYTES), sha(back), "streamfs recover gives the loser's bytes back");
    }
  }
}

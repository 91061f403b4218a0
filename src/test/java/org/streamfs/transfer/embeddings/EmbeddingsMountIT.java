package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collection uploaded with {@code streamfs embeddings put} (the shaded CLI jar, child processes) and
 * opened by a real NumPy through the FUSE mount with {@code mmap_mode="r"}: shape and rows match the
 * generator, reading a few rows fetches a few chunks, not the file; and a matrix NumPy saves into the mount
 * is a collection {@code embeddings info/get} read. Skipped without FUSE, NumPy or a mount command.
 */
class EmbeddingsMountIT {
  @TempDir Path dir;

  private static Path jar() {
    String p = System.getProperty("streamfs.jar", "target/streamfs-all.jar");
    return Path.of(p).toAbsolutePath();
  }

  private record Out(int code, String text) {}

  private Out cli(Path stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx256m", "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "cli", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    if (stdin != null) {
      pb.redirectInput(stdin.toFile());
    }
    Process p = pb.start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + args[0] + "\n" + Files.readString(log));
    }
    return new Out(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
  }

  private static boolean mounted(Path mnt) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 1 && f[1].equals(mnt.toString())) {
        return true;
      }
    }
    return false;
  }

  @Test
  void numpyMapsTheCollectionThroughTheMount() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
    assumeTrue(Files.exists(jar()), "no CLI jar (run after package)");
    Python.assumeNumpy();
    Out help = cli(null, "--help");
    assumeTrue(help.text().contains("\n  mount "), "this build has no mount command");

    String store = dir.resolve("store").toUri().toString();
    String state = dir.resolve("state").toString();
    int dim = 96;
    long rows = 40_000; // 15 MiB in chunks of 1 MiB
    Path raw = dir.resolve("in.f32");
    Python.run(String.join("\n", "import sys",
        "with open(sys.argv[1], 'wb') as f:",
        "    for s in range(0, " + rows + ", 1000):",
        "        f.write(np.stack([row(r, " + dim + ") for r in range(s, min(s + 1000, " + rows + "))]).tobytes())"),
        raw.toString());
    Out put = cli(raw, "embeddings", "put", "--dim", Integer.toString(dim), "-", "docs", "--store", store,
        "--create-store", "--state-dir", state, "--chunk-size", "1M");
    assertEquals(0, put.code(), put.text());

    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    Out m = cli(null, "mount", "--store", store, "--state-dir", state, mnt.toString());
    assertEquals(0, m.code(), m.text());
    try {
      assertTrue(mounted(mnt), "mounted");
      String out = Python.run(String.join("\n",
          "import sys, random",
          "a = np.load(sys.argv[1] + '/embeddings/docs.npy', mmap_mode='r')",
          "assert isinstance(a, np.memmap), type(a)",
          "rnd = random.Random(5)",
          "for _ in range(25):",
          "    i = rnd.randrange(a.shape[0] - 8)",
          "    got = np.array(a[i:i + 8])",
          "    exp = np.stack([row(r, a.shape[1]) for r in range(i, i + 8)])",
          "    assert (got == exp).all(), i",
          "assert (a[-1] == row(a.shape[0] - 1, a.shape[1])).all()",
          "b = np.stack([row(r, 5) for r in range(123)])",
          "np.save(sys.argv[1] + '/embeddings/fromnumpy.npy', b)",
          "print(a.shape)"), mnt.toString());
      assertEquals("(" + rows + ", " + dim + ")", out);
      Out sync = cli(null, "sync", mnt.toString());
      assertEquals(0, sync.code(), sync.text());
    } finally {
      Out u = cli(null, "umount", mnt.toString());
      if (mounted(mnt)) {
        new ProcessBuilder("fusermount", "-u", mnt.toString()).start().waitFor(30, TimeUnit.SECONDS);
      }
      assertEquals(0, u.code(), u.text());
    }
    Out info = cli(null, "embeddings", "info", "fromnumpy", "--json", "--store", store, "--state-dir", state);
    assertEquals(0, info.code(), info.text());
    assertTrue(info.text().contains("\"rows\":123,\"dim\":5"), info.text());
  }
}

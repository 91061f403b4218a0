package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.cli.Main;

/**
 * {@code streamfs embeddings} run as a real process (the CLI's main in a child JVM) against a LocalStore:
 * put from standard input and from a .npy file, info, get as .npy and CSV, and bad input exiting 2 with a
 * clear message and nothing stored.
 */
class EmbeddingsCliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err, Path outFile) {}

  private Result cli(Path stdin, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    int at = 2; // after "embeddings <sub>"
    all.addAll(at, List.of("--store", dir.resolve("store").toUri().toString(), "--create-store",
        "--state-dir", dir.resolve("state").toString(), "--chunk-size", "64K"));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    int code = ChildJvm.run(stdin, out, err, Main.class, all.toArray(String[]::new));
    return new Result(code, Files.readString(out, java.nio.charset.StandardCharsets.ISO_8859_1),
        Files.readString(err), out);
  }

  private Path rawFile(long rows, int dim, int extraBytes) throws IOException {
    Path f = dir.resolve("in-" + rows + "x" + dim + "+" + extraBytes + ".f32");
    ByteBuffer b = ByteBuffer.allocate((int) (rows * dim * 4 + extraBytes)).order(ByteOrder.LITTLE_ENDIAN);
    for (long r = 0; r < rows; r++) {
      for (int c = 0; c < dim; c++) {
        b.putFloat(Rows.value(r, c));
      }
    }
    Files.write(f, b.array());
    return f;
  }

  @Test
  void putFromStdinThenInfoAndGetNpyAndCsv() throws Exception {
    int dim = 12;
    long rows = 5000;
    Result put = cli(rawFile(rows, dim, 0), "embeddings", "put", "--dim", "12", "-", "docs");
    assertEquals(0, put.code(), put.err());
    assertEquals("embeddings/docs.npy", put.out().strip());
    assertTrue(put.err().contains("5000 rows x 12"), put.err());

    Result info = cli(null, "embeddings", "info", "docs", "--json");
    assertEquals(0, info.code(), info.err());
    assertTrue(info.out().contains("\"rows\":5000,\"dim\":12,\"size\":" + (128 + rows * dim * 4)), info.out());

    Path npy = dir.resolve("part.npy");
    Result get = cli(null, "embeddings", "get", "docs", "--rows", "1234:1300", "-o", npy.toString());
    assertEquals(0, get.code(), get.err());
    try (EmbeddingSource s = EmbeddingSources.open(npy.toString(), null)) {
      assertEquals(66, s.knownRows());
      for (long r = 1234; r < 1300; r++) {
        assertArrayEquals(Rows.row(r, dim), s.next(), "row " + r);
      }
    }
    Result csv = cli(null, "embeddings", "get", "docs", "--rows", "-2:", "--format", "csv");
    assertEquals(0, csv.code(), csv.err());
    String[] lines = csv.out().strip().split("\n");
    assertEquals(2, lines.length);
    for (int i = 0; i < 2; i++) {
      String[] vals = lines[i].split(",");
      float[] v = new float[vals.length];
      for (int c = 0; c < v.length; c++) {
        v[c] = Float.parseFloat(vals[c]);
      }
      assertArrayEquals(Rows.row(rows - 2 + i, dim), v);
    }
    // .npy to standard output
    Result stdout = cli(null, "embeddings", "get", "docs", "--rows", "0:3");
    assertEquals(0, stdout.code(), stdout.err());
    NpyHeader h = NpyHeader.parse(Files.readAllBytes(stdout.outFile()), "stdout");
    assertEquals(new NpyHeader(3, dim, 128), h);
    assertEquals(128 + 3 * dim * 4, Files.size(stdout.outFile()));

    Result list = cli(null, "embeddings", "list");
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().startsWith("docs\t"), list.out());
  }

  @Test
  void putNpyFileWrittenByNumpy() throws Exception {
    Python.assumeNumpy();
    Path f = dir.resolve("np.npy");
    Python.run("import sys\nnp.save(sys.argv[1], np.stack([row(r, 7) for r in range(300)]))", f.toString());
    Result put = cli(null, "embeddings", "put", f.toString(), "fromnumpy");
    assertEquals(0, put.code(), put.err());
    Result bad = cli(null, "embeddings", "put", "--dim", "8", f.toString(), "other");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("dimension mismatch: --dim 8 but the file holds vectors of dimension 7"),
        bad.err());
    Path out = dir.resolve("back.npy");
    assertEquals(0, cli(null, "embeddings", "get", "fromnumpy", "-o", out.toString()).code());
    String res = Python.run(String.join("\n", "import sys",
        "a = np.load(sys.argv[1], mmap_mode='r')",
        "assert (a == np.stack([row(r, 7) for r in range(300)])).all()",
        "print(a.shape)"), out.toString());
    assertEquals("(300, 7)", res);
  }

  @Test
  void putKilledWhileReadingStdinIsRolledBackByResume() throws Exception {
    int dim = 64;
    List<String> args = new ArrayList<>(List.of("embeddings", "put", "--dim", "64", "-", "cut",
        "--store", dir.resolve("store").toUri().toString(), "--create-store",
        "--state-dir", dir.resolve("state").toString(), "--chunk-size", "64K"));
    Path log = dir.resolve("put.log");
    Process p = new ProcessBuilder(ChildJvm.command("256m", Main.class, args.toArray(String[]::new)))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ByteBuffer b = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
    try (var stdin = p.getOutputStream()) {
      for (long r = 0; r < 3000; r++) { // 750 KB: several chunks handed to the engine
        b.clear();
        for (int c = 0; c < dim; c++) {
          b.putFloat(Rows.value(r, c));
        }
        stdin.write(b.array());
      }
      stdin.flush();
      long deadline = System.nanoTime() + 60_000_000_000L;
      Path uploads = dir.resolve("store").resolve(".streamfs-uploads");
      while (System.nanoTime() < deadline && !partsExist(uploads)) {
        Thread.sleep(20);
      }
      assertTrue(partsExist(uploads), "parts were uploaded while stdin was still open");
      p.destroyForcibly();
      p.waitFor();
    }
    assertEquals(137, p.exitValue(), Files.readString(log));
    Result resume = cli(null, "embeddings", "resume");
    assertEquals(0, resume.code(), resume.err());
    assertTrue(resume.out().contains("embeddings/cut.npy\trolled back"), resume.out());
    assertEquals(3, cli(null, "embeddings", "info", "cut").code());
    assertTrue(!partsExist(dir.resolve("store").resolve(".streamfs-uploads")), "multipart upload aborted");
    Result again = cli(null, "embeddings", "resume");
    assertEquals(0, again.code());
    assertTrue(again.err().contains("nothing to resume"), again.err());
  }

  private static boolean partsExist(Path uploads) throws IOException {
    if (!Files.isDirectory(uploads)) {
      return false;
    }
    try (Stream<Path> s = Files.walk(uploads)) {
      return s.anyMatch(f -> f.getFileName().toString().startsWith("part-"));
    }
  }

  @Test
  void badInputExitsTwoAndStoresNothing() throws Exception {
    Result odd = cli(rawFile(100, 5, 3), "embeddings", "put", "--dim", "5", "-", "bad");
    assertEquals(2, odd.code(), odd.err());
    assertTrue(odd.err().contains("standard input: length 2003 bytes is not a multiple of dim*4 = 20"),
        odd.err());

    Path nan = rawFile(100, 5, 0);
    byte[] b = Files.readAllBytes(nan);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat((57 * 5 + 3) * 4, Float.NaN);
    Files.write(nan, b);
    Result n = cli(null, "embeddings", "put", "--dim", "5", nan.toString(), "bad");
    assertEquals(2, n.code(), n.err());
    assertTrue(n.err().contains("row 57, column 3 is NaN"), n.err());
    assertEquals(0, cli(null, "embeddings", "put", "--dim", "5", "--allow-nonfinite", nan.toString(), "nan")
        .code());

    Result info = cli(null, "embeddings", "info", "bad");
    assertEquals(3, info.code());
    assertTrue(info.err().contains("no embeddings collection 'bad'"), info.err());
    try (Stream<Path> s = Files.walk(dir.resolve("store"))) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("bad")), "nothing stored for 'bad'");
    }
    Result range = cli(null, "embeddings", "get", "nan", "--rows", "90:120");
    assertEquals(2, range.code());
    assertTrue(range.err().contains("rows 90:120 are out of range"), range.err());
    Result noDim = cli(null, "embeddings", "put", "-", "x");
    assertEquals(2, noDim.code());
    assertTrue(noDim.err().contains("give --dim"), noDim.err());
  }
}

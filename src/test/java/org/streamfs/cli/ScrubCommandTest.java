package org.streamfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.local.LocalStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * {@code streamfs scrub} as a user runs it (in-process): exit 0 on a clean prefix, 5 with the corrupt
 * object's bad chunks named, in plain lines and in JSON.
 */
class ScrubCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  Path tmp;
  Path storeDir;

  @BeforeEach
  void fill() throws Exception {
    storeDir = tmp.resolve("store");
    byte[] data = new byte[5 * 4096 + 1];
    new Random(1).nextBytes(data);
    Path src = Files.write(tmp.resolve("src.bin"), data);
    try (LocalStore store = LocalStore.open(storeDir, true);
        Catalog c = Catalog.open(tmp.resolve("writer"));
        StreamingManager m = new StreamingManager(store, c, StreamingConfig.builder().chunkSizeBytes(4096)
            .build())) {
      m.uploadFile(src, "clean/a.bin", null, Map.of());
      m.uploadFile(src, "dirty/b.bin", null, Map.of());
    }
    Path b = storeDir.resolve("dirty/b.bin");
    FileTime mtime = Files.getLastModifiedTime(b);
    try (RandomAccessFile f = new RandomAccessFile(b.toFile(), "rw")) {
      f.seek(3 * 4096 + 100);
      int x = f.read();
      f.seek(3 * 4096 + 100);
      f.write(x ^ 0xff);
    }
    Files.setLastModifiedTime(b, mtime);
  }

  private record Run(int exit, String out) {}

  private Run scrub(String... extra) {
    List<String> args = new ArrayList<>(List.of("scrub", "--store", storeDir.toUri().toString(), "--state-dir",
        tmp.resolve("scrubber").toString(), "--quiet"));
    args.addAll(List.of(extra));
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int exit = Main.execute(args.toArray(String[]::new));
      return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void aCleanPrefixExitsZero() {
    Run r = scrub("--prefix", "clean/");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("1 ok, 0 corrupt"), r.out());
  }

  @Test
  void corruptionIsExitFiveWithTheChunkNamed() throws Exception {
    Run r = scrub();
    assertEquals(5, r.exit(), r.out());
    assertTrue(r.out().contains("corrupt dirty/b.bin chunks 3 "), r.out());

    Run j = scrub("--json", "--rate", "10M");
    assertEquals(5, j.exit(), j.out());
    List<JsonNode> lines = new ArrayList<>();
    for (String l : j.out().split("\n")) {
      lines.add(JSON.readTree(l));
    }
    JsonNode corrupt = lines.stream().filter(n -> n.path("type").asText().equals("corrupt")).findFirst()
        .orElseThrow(() -> new AssertionError(j.out()));
    assertEquals("dirty/b.bin", corrupt.path("key").asText());
    assertEquals(3, corrupt.path("bad_chunks").get(0).asInt());
    assertEquals(1, corrupt.path("bad_chunks").size());
    JsonNode summary = lines.get(lines.size() - 1);
    assertEquals("summary", summary.path("type").asText());
    assertEquals(1, summary.path("corrupt").asInt());
    assertEquals(1, summary.path("ok").asInt());
    assertTrue(!Files.exists(tmp.resolve("scrubber")), "a scrub needs no state dir");
  }
}

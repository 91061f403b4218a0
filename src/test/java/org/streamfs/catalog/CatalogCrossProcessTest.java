package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;

/**
 * Two processes on one state directory, as the daemon and the CLI: a child JVM checkpoints while this one
 * reads (and writes an operation of its own), and the other way round. Neither sees an error, and the
 * reader sees progress as it is committed, never going backwards.
 */
class CatalogCrossProcessTest {
  private static final int CHUNKS = 100;

  @TempDir
  Path tmp;

  private record Child(Process process, BufferedReader out) {}

  private Child start(String mode, Path dir, String id) throws Exception {
    return start(mode, dir, id, CHUNKS);
  }

  private Child start(String mode, Path dir, String id, int count) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp",
        System.getProperty("java.class.path"), CatalogChildProcess.class.getName(), mode, dir.toString(), id,
        Integer.toString(count));
    pb.redirectError(tmp.resolve(mode + ".err").toFile());
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("open", out.readLine(), () -> "child did not open the catalog: " + stderr(mode));
    return new Child(p, out);
  }

  private String stderr(String mode) {
    try {
      return Files.readString(tmp.resolve(mode + ".err"));
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static void finish(Process p) throws InterruptedException {
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child process did not finish");
    }
  }

  @Test
  void thisProcessReadsWhileAChildCheckpoints() throws Exception {
    Path dir = tmp.resolve("state");
    try (Catalog catalog = Catalog.open(dir)) {
      Process child = start("write", dir, "child-op").process();
      Thread mine = new Thread(() -> CatalogChildProcess.writeQuietly(catalog, "parent-op", 40));
      mine.start();
      int last = -1;
      int distinct = 0;
      while (child.isAlive()) {
        StreamingOperation op = catalog.getOperation("child-op").orElse(null);
        if (op != null) {
          long confirmed = catalog.chunks("child-op").stream().filter(ChunkMetadata::uploaded).count();
          assertTrue(op.chunksCompleted() >= last, "progress went back from " + last);
          assertTrue(confirmed >= op.chunksCompleted(), "chunk records lag the operation record");
          if (op.chunksCompleted() != last) {
            distinct++;
            last = op.chunksCompleted();
          }
        }
        Thread.sleep(3);
      }
      mine.join();
      finish(child);
      assertEquals(0, child.exitValue(), () -> stderr("write"));
      assertTrue(distinct >= 5, "saw progress only " + distinct + " times");
      StreamingOperation done = catalog.getOperation("child-op").orElseThrow();
      assertEquals(OperationStatus.COMPLETED, done.status());
      List<ChunkMetadata> chunks = catalog.chunks("child-op");
      assertEquals(CHUNKS, chunks.size());
      assertTrue(chunks.stream().allMatch(ChunkMetadata::uploaded));
      assertEquals(Records.sha(CHUNKS - 1), chunks.get(CHUNKS - 1).checksum());
      assertEquals(40, catalog.getOperation("parent-op").orElseThrow().chunksCompleted());
    }
  }

  @Test
  void aChildReadsWhileThisProcessCheckpoints() throws Exception {
    Path dir = tmp.resolve("state");
    try (Catalog catalog = Catalog.open(dir)) {
      Child child = start("read", dir, "daemon-op");
      CatalogChildProcess.write(catalog, "daemon-op", CHUNKS);
      finish(child.process());
      assertEquals(0, child.process().exitValue(), () -> stderr("read"));
      String seen = child.out().readLine();
      assertTrue(seen != null && seen.startsWith("distinct "), "child said " + seen);
      int distinct = Integer.parseInt(seen.substring("distinct ".length()));
      assertTrue(distinct >= 5, "the child saw progress only " + distinct + " times");
    }
  }

  @Test
  void aMapGrownByAnotherProcessIsAdopted() throws Exception {
    Path dir = tmp.resolve("state");
    long small = 512 * 1024;
    try (Catalog catalog = Catalog.open(dir, small)) {
      catalog.putOperation(Records.operation("before", 1));
      Child child = start("fill", dir, "blobs", 48);
      finish(child.process());
      assertEquals(0, child.process().exitValue(), () -> stderr("fill"));
      List<?> entries = catalog.table("blobs").scan(new byte[0]);
      assertEquals(48, entries.size());
      assertTrue(catalog.mapSize() > small, "adopted the other process's map size: " + catalog.mapSize());
      catalog.putOperation(Records.operation("after", 1));
      assertEquals(2, catalog.listOperations().operations().size());
    }
  }

  @Test
  void aWriterKilledMidCheckpointLeavesTheLastCommitAndNoLock() throws Exception {
    Path dir = tmp.resolve("state");
    int total = 2_000;
    try (Catalog catalog = Catalog.open(dir)) {
      // round 0 is killed at once (likely inside the first, large commit); the others after progress
      long[] delaysMs = {0, 50, 400, 900};
      int present = 0;
      for (int round = 0; round < delaysMs.length; round++) {
        String id = "killed-" + round;
        Process child = start("write", dir, id, total).process();
        while (round > 0 && catalog.getOperation(id).map(StreamingOperation::chunksCompleted).orElse(0) == 0) {
          assertTrue(child.isAlive(), () -> stderr("write"));
          Thread.sleep(2);
        }
        Thread.sleep(delaysMs[round]);
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "killed with SIGKILL");

        Catalog.OperationState state = catalog.operationWithChunks(id).orElse(null);
        if (state == null) {
          assertTrue(catalog.chunks(id).isEmpty(), "no chunk records without their operation");
          continue;
        }
        present++;
        long confirmed = state.chunks().stream().filter(ChunkMetadata::uploaded).count();
        assertEquals(total, state.chunks().size());
        assertEquals(state.operation().chunksCompleted(), confirmed,
            "each checkpoint committed chunk and operation together");
        // a writer lock the dead process may have held is recovered: this process can write at once
        catalog.checkpoint(state.operation().withChunksCompleted((int) confirmed + 1),
            state.chunks().get((int) confirmed).confirmed(Records.sha(0), "after-kill"));
        assertEquals(confirmed + 1, catalog.getOperation(id).orElseThrow().chunksCompleted());
      }
      assertTrue(present >= delaysMs.length - 1);
      assertEquals(present, catalog.listOperations().operations().size());
    }
  }
}

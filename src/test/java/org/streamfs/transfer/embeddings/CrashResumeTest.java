package org.streamfs.transfer.embeddings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.Sha256;
import org.streamfs.model.StreamingOperation;

/**
 * Kill -9 of a process in the middle of an embeddings upload, then a new engine on the same state
 * directory and store: an upload killed after its commit resumes and completes with only the missing
 * chunks sent (rows verified); one killed while rows were still being produced is rolled back and leaves
 * no collection; a 300 MiB matrix streams through a child limited to -Xmx64m.
 */
class CrashResumeTest {
  static final long CHUNK = 64 * 1024;
  static final int DIM = 64;
  @TempDir Path dir;

  private static void waitFor(Path log, String marker, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(marker)) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("child exited before '" + marker + "':\n" + Files.readString(log));
      }
      Thread.sleep(10);
    }
    throw new AssertionError("timed out waiting for '" + marker + "':\n" + Files.readString(log));
  }

  private static void kill9(Process p) throws InterruptedException {
    p.destroyForcibly(); // SIGKILL on Unix
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
  }

  @Test
  void killedAfterCommitResumesWithOnlyMissingChunks() throws Exception {
    long rows = 2000; // 512 KiB: 8 chunks of 64 KiB (+ header)
    Path log = dir.resolve("child.log");
    Process p = ChildJvm.start("128m", log, UploadChild.class, dir.toString(), Long.toString(CHUNK),
        Long.toString(rows), Integer.toString(DIM), "400", "crash");
    waitFor(log, "COMMITTED", p);
    kill9(p);
    assertFalse(Files.readString(log).contains("DONE"), "killed before the upload completed");

    try (EngineFixture fx = new EngineFixture(dir, CHUNK)) {
      assertThrows(NoSuchFileException.class, () -> fx.embeddings.info("crash"), "not visible before resume");
      List<StreamingOperation> acted = fx.embeddings.recover();
      assertEquals(1, acted.size(), acted.toString());
      assertTrue(fx.engine.awaitCommitted(Duration.ofSeconds(60)));
      assertEquals(OperationStatus.COMPLETED, fx.engine.getOperation(acted.get(0).operationId()).status());
      long size = 128 + rows * DIM * 4;
      int chunks = (int) ((size + CHUNK - 1) / CHUNK);
      int resent = fx.store.totalPartsSent();
      assertTrue(resent >= 1 && resent < chunks, "resume sent " + resent + " of " + chunks + " chunks");

      EmbeddingInfo info = fx.embeddings.info("crash");
      assertEquals(rows, info.rows());
      assertEquals(size, info.size());
      assertEquals(Sha256.hex(Sha256.digest(Files.readAllBytes(fx.objectFile(info.key())))), info.sha256());
      float[][] all = fx.embeddings.readEmbeddings("crash", 0, (int) rows);
      for (int r = 0; r < rows; r++) {
        assertArrayEquals(Rows.row(r, DIM), all[r], "row " + r);
      }
      try (var s = Files.list(fx.stagingDir)) {
        assertEquals(0, s.count(), "staging file removed once the resumed upload completed");
      }
    }
  }

  @Test
  void killedWhileProducingRowsIsRolledBack() throws Exception {
    long rows = 8_000;
    Path log = dir.resolve("child.log");
    Process p = ChildJvm.start("128m", log, UploadChild.class, dir.toString(), Long.toString(CHUNK),
        Long.toString(rows), Integer.toString(DIM), "200", "open");
    waitFor(log, "ROWS 3000", p);
    kill9(p);
    assertFalse(Files.readString(log).contains("COMMITTED"));
    try (EngineFixture fx = new EngineFixture(dir, CHUNK)) {
      List<StreamingOperation> acted = fx.embeddings.recover();
      assertEquals(1, acted.size());
      assertEquals(OperationStatus.FAILED, acted.get(0).status());
      assertThrows(NoSuchFileException.class, () -> fx.embeddings.info("open"));
      assertEquals(0, fx.store.listUploads("").size(), "the multipart upload was aborted");
      // the same upload run again completes
      EmbeddingInfo info = fx.embeddings.uploadEmbeddings(Rows.source(rows, DIM), "open",
          EmbeddingOptions.DEFAULTS);
      assertEquals(rows, info.rows());
      assertArrayEquals(Rows.row(rows - 1, DIM), fx.embeddings.readEmbeddings("open", rows - 1, 1)[0]);
    }
  }

  @Test
  void recoverLeavesRunningUploadsAlone() throws Exception {
    try (EngineFixture fx = new EngineFixture(dir, CHUNK)) {
      java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
      java.util.Iterator<float[]> gen = Rows.iterator(3000, DIM);
      EmbeddingSource slow = EmbeddingSource.of(DIM, new java.util.Iterator<>() {
        long n;

        @Override
        public boolean hasNext() {
          return gen.hasNext();
        }

        @Override
        public float[] next() {
          if (++n == 1500) {
            try {
              gate.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return gen.next();
        }
      });
      java.util.concurrent.CompletableFuture<EmbeddingInfo> running =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
              return fx.embeddings.uploadEmbeddings(slow, "live", EmbeddingOptions.DEFAULTS);
            } catch (IOException e) {
              throw new java.util.concurrent.CompletionException(e);
            }
          });
      while (fx.engine.listActiveOperations().isEmpty()) {
        Thread.sleep(10);
      }
      assertEquals(List.of(), fx.embeddings.recover(), "an upload in progress is not recovered");
      gate.countDown();
      assertEquals(3000, running.get(60, TimeUnit.SECONDS).rows());
    }
  }

  @Test
  void threeHundredMegabytesThroughTheEngineIn64MegabyteHeap() throws Exception {
    int dim = 768;
    long rows = 300L * 1024 * 1024 / (dim * 4);
    long chunk = 5L * 1024 * 1024;
    Path log = dir.resolve("big.log");
    Process p = ChildJvm.start("64m", log, UploadChild.class, dir.toString(), Long.toString(chunk),
        Long.toString(rows), Integer.toString(dim), "0", "big");
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "child timed out");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("DONE "), out);
    try (EngineFixture fx = new EngineFixture(dir, chunk)) {
      EmbeddingInfo info = fx.embeddings.info("big");
      assertEquals(rows, info.rows());
      assertEquals(dim, info.dim());
      assertTrue(out.contains("DONE " + info.sha256()), out);
      Random rnd = new Random(3);
      for (int t = 0; t < 15; t++) {
        long from = (long) (rnd.nextDouble() * rows);
        long count = Math.min(rows - from, rnd.nextInt(3000) + 1);
        long[] next = {from};
        fx.embeddings.readEmbeddings("big", from, count, EmbeddingOptions.DEFAULTS, (r, v) -> {
          assertEquals(next[0]++, r);
          assertArrayEquals(Rows.row(r, dim), v, "row " + r);
        });
        assertEquals(from + count, next[0]);
      }
      Files.delete(fx.objectFile(info.key()));
    }
  }
}

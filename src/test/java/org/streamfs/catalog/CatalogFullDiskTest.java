package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.StreamingOperation;
import org.streamfs.testing.Require;

/**
 * The catalog on a full file system (a 1 MiB tmpfs): opening fails with an IOException that says the
 * disk is full instead of LMDB's SIGBUS killing the JVM, and a write that does not fit fails, keeps what
 * was committed and works again once there is room.
 */
class CatalogFullDiskTest {
  @TempDir
  Path tmp;
  Path small;

  @BeforeEach
  void mountSmallTmpfs() throws Exception {
    small = tmp.resolve("small");
    Files.createDirectories(small);
    Require.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", small.toString()),
        "mount a small tmpfs (needs root)");
  }

  @AfterEach
  void unmount() throws Exception {
    assertTrue(run("umount", small.toString()), "umount " + small);
  }

  @Test
  void lockFileIsWrittenOutAtTheSizeLmdbWants() throws Exception {
    Path state = small.resolve("state");
    try (Catalog catalog = Catalog.open(state)) {
      catalog.putOperation(Records.operation("a", 1));
    }
    assertEquals(CatalogEnv.LOCK_FILE_BYTES, Files.size(state.resolve("lock.mdb")),
        "LMDB kept the pre-written lock file as it is (a larger size would be sparse again)");
    try (Stream<Path> files = Files.list(state)) {
      assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".new")), "no temp file left");
    }
  }

  @Test
  void openingOnAFullDiskIsAClearErrorNotACrash() throws Exception {
    fill(small.resolve("filler"));
    IOException e = assertThrows(IOException.class, () -> Catalog.open(small.resolve("state")));
    assertTrue(e.getMessage().contains("lock.mdb") && e.getMessage().contains("the disk is full"),
        e.getMessage());
  }

  @Test
  void aWriteThatDoesNotFitFailsClearlyAndLosesNothing() throws Exception {
    Path state = small.resolve("state");
    try (Catalog catalog = Catalog.open(state)) {
      StreamingOperation kept = Records.operation("kept", 2);
      catalog.putOperationWithChunks(kept, Records.pendingChunks(kept));
      Path filler = small.resolve("filler");
      fill(filler);
      StreamingOperation big = Records.operation("big", 1_000);
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> catalog.putOperationWithChunks(big, Records.pendingChunks(big)));
      assertTrue(e.getMessage().contains("the disk is full"), e.getMessage());
      assertEquals(kept, catalog.getOperation("kept").orElseThrow());
      assertTrue(catalog.getOperation("big").isEmpty(), "the failed transaction left nothing");

      Files.delete(filler);
      catalog.putOperationWithChunks(big, Records.pendingChunks(big));
      assertEquals(1_000, catalog.chunks("big").size());
    }
  }

  private static void fill(Path file) throws IOException {
    byte[] block = new byte[4096];
    try (var out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) {
        throw full;
      }
    }
  }

  private static boolean run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor() == 0;
  }
}

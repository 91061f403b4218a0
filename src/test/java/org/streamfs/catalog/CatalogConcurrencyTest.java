package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.StreamingOperation;

/**
 * Pool threads sharing one Catalog: several checkpoint different operations, a table writer and a
 * reader run alongside (and the map starts small so it grows under load); every commit lands.
 */
class CatalogConcurrencyTest {
  private static final int WRITERS = 4;
  private static final int CHUNKS = 60;

  @TempDir
  Path tmp;

  @Test
  void threadsCheckpointingDifferentOperations() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 2);
    AtomicBoolean writing = new AtomicBoolean(true);
    try (Catalog catalog = Catalog.open(tmp.resolve("state"), 256 * 1024)) {
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        String id = "op" + w;
        writers.add(pool.submit(() -> {
          CatalogChildProcess.write(catalog, id, CHUNKS);
          return null;
        }));
      }
      Future<?> tableWriter = pool.submit(() -> {
        KvTable table = catalog.table("cache-index");
        for (int i = 0; i < 200; i++) {
          table.put(new byte[] {(byte) (i >> 8), (byte) i}, new byte[4096]);
        }
        return null;
      });
      Future<Integer> reader = pool.submit(() -> {
        int reads = 0;
        while (writing.get()) {
          for (StreamingOperation op : catalog.listOperations().operations()) {
            long confirmed = catalog.chunks(op.operationId()).stream().filter(ChunkMetadata::uploaded).count();
            assertTrue(confirmed >= op.chunksCompleted(), "chunks lag operation " + op.operationId());
            reads++;
          }
        }
        return reads;
      });
      for (Future<?> f : writers) {
        f.get(120, TimeUnit.SECONDS);
      }
      tableWriter.get(120, TimeUnit.SECONDS);
      writing.set(false);
      assertTrue(reader.get(30, TimeUnit.SECONDS) > 0);

      Catalog.Operations all = catalog.listOperations();
      assertEquals(WRITERS, all.operations().size());
      assertTrue(all.corrupt().isEmpty());
      for (StreamingOperation op : all.operations()) {
        assertEquals(CHUNKS, op.chunksCompleted());
        List<ChunkMetadata> chunks = catalog.chunks(op.operationId());
        assertEquals(CHUNKS, chunks.size());
        assertTrue(chunks.stream().allMatch(ChunkMetadata::uploaded));
      }
      assertEquals(200, catalog.table("cache-index").scan(new byte[0]).size());
      assertTrue(catalog.mapSize() > 256 * 1024, "the map grew while threads were writing");
    } finally {
      writing.set(false);
      pool.shutdownNow();
    }
  }
}

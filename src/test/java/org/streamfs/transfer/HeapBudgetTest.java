package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChunkLayout;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.middleware.StoreCall;
import org.streamfs.store.middleware.StoreDecorator;
import org.streamfs.store.middleware.StoreOp;
import org.streamfs.testing.MemoryStore;

/**
 * Automatic chunks and parallelism fit half the heap together with the heap copies the store makes of
 * each part (a sealing store makes two): a sealed 1 GiB upload in -Xmx64m ran out of heap with 20 MiB
 * chunks. A store that copies nothing keeps the seed's table, and an explicit chunk size is kept.
 */
class HeapBudgetTest {
  @TempDir
  Path tmp;

  private static ObjectStore copying(int copies) {
    return new StoreDecorator(new MemoryStore()) {
      @Override
      public int heapCopiesPerPart() {
        return copies;
      }

      @Override
      protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
        return call.call();
      }
    };
  }

  @Test
  void automaticChunksShrinkForStoresThatCopyParts() throws Exception {
    long gib = 1L << 30;
    long mib = 1L << 20;
    long budget = Runtime.getRuntime().maxMemory() / 2;
    StreamingConfig auto = StreamingConfig.builder().parallelChunks(8).build();
    try (Catalog catalog = Catalog.open(tmp.resolve("state"))) {
      EngineContext plain = new EngineContext(copying(0), catalog, auto);
      EngineContext sealed = new EngineContext(copying(2), catalog, auto);
      EngineContext fixed = new EngineContext(copying(2), catalog, StreamingConfig.builder()
          .chunkSizeBytes(32 * mib).build());
      try {
        assertEquals(ChunkLayout.chooseChunkSize(gib), plain.chunkSizeFor(gib));
        assertEquals((int) Math.min(8, Math.max(1, budget / (20 * mib))), plain.bufferCount(20 * mib));

        long chunk = sealed.chunkSizeFor(gib);
        assertEquals(Math.max(mib, Math.min(20 * mib, budget / 3 / mib * mib)), chunk);
        int buffers = sealed.bufferCount(chunk);
        assertEquals((int) Math.min(8, Math.max(1, budget / (3 * chunk))), buffers);
        assertTrue(buffers * chunk * 3 <= Math.max(budget, 3 * chunk), "fits the budget with its copies");

        assertEquals(32 * mib, fixed.chunkSizeFor(gib), "an explicit chunk size is the user's");
      } finally {
        plain.close();
        sealed.close();
        fixed.close();
      }
    }
  }
}

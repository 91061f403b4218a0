package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Puts and gets under constant garbage collection. lmdbjava copies each byte[] key and value into native
 * memory that jnr-ffi frees once its Pointer is unreachable; lmdbjava 0.9.1 dropped that Pointer before
 * mdb_put/mdb_get returned (lmdbjava#252), so a collection in between freed bytes LMDB was still reading:
 * CI's test JVM died of SIGSEGV in mdb_node_search, and a reused block would have written a wrong key.
 * This test hit it within seconds on 0.9.1; it must pass, with every value read back as written.
 */
class CatalogGcStressTest {
  @TempDir
  Path tmp;

  @Test
  void everyValueComesBackWhileTheCollectorRuns() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread collector = new Thread(() -> {
      while (!stop.get()) {
        System.gc();
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "gc-stress");
    collector.setDaemon(true);
    try (Catalog catalog = Catalog.open(tmp.resolve("state"))) {
      KvTable t = catalog.table("stress");
      collector.start();
      for (int round = 0; round < 10; round++) {
        Map<byte[], byte[]> batch = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
          batch.put(key(round, i), value(round, i));
        }
        t.putAll(batch);
        for (int i = 0; i < 2_000; i += 7) {
          t.put(key(round, i), value(round, i + 1));
        }
        for (int i = 0; i < 2_000; i++) {
          assertArrayEquals(value(round, i % 7 == 0 ? i + 1 : i), t.get(key(round, i)), "round " + round + " key " + i);
        }
      }
      assertEquals(20_000, t.scan(new byte[0]).size());
    } finally {
      stop.set(true);
      collector.join();
    }
  }

  private static byte[] key(int round, int i) {
    return ByteBuffer.allocate(40).putInt(round).putInt(i).put(new byte[32]).array();
  }

  private static byte[] value(int round, int i) {
    byte[] v = new byte[64 + i % 200];
    ByteBuffer.wrap(v).putInt(round).putInt(i).putInt(v.length);
    return v;
  }
}

package org.streamfs.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoredManifest;
import org.streamfs.store.local.LocalStore;
import org.streamfs.testing.PassThrough;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * The mount asks the store for a manifest at most once per open: reads of one handle never ask again, and
 * an object found without a manifest is asked for again by a later open (its writer on another machine may
 * have stored the manifest meanwhile), after which reads are verified.
 */
class ObjectReaderManifestTest {
  static final int CHUNK = 4096;
  @TempDir
  Path tmp;

  @Test
  void oneAskPerOpenAndALateManifestIsFoundByTheNextOpen() throws Exception {
    AtomicInteger asks = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (LocalStore raw = LocalStore.open(tmp.resolve("store"), true);
        Catalog catalog = Catalog.open(tmp.resolve("state"))) {
      PassThrough store = new PassThrough(raw) {
        @Override
        public StoredManifest readManifest(String key) throws StoreException {
          asks.incrementAndGet();
          return super.readManifest(key);
        }
      };
      byte[] data = new byte[3 * CHUNK + 10];
      new Random(2).nextBytes(data);
      ObjectInfo o = raw.put("x.bin", data, Map.of()); // written by "another tool": no manifest yet
      try (StreamingManager engine = new StreamingManager(store, catalog,
          StreamingConfig.builder().chunkSizeBytes(CHUNK).build())) {
        ObjectReader reader = new ObjectReader(engine, new ChunkCache(tmp.resolve("cache"), 1 << 20, 2, pool));
        try (ObjectReader.Session s = reader.session(0)) {
          for (int i = 0; i < 4; i++) {
            reader.read(o, (long) i * CHUNK, ByteBuffer.allocate(CHUNK), s);
          }
        }
        assertEquals(1, asks.get(), "one open, four reads: one ask");
        assertFalse(reader.manifest(o).verifiable());

        List<String> shas = new ArrayList<>();
        for (int i = 0; i * CHUNK < data.length; i++) {
          shas.add(Sha256.hex(Sha256.digest(java.util.Arrays.copyOfRange(data, i * CHUNK,
              Math.min(data.length, (i + 1) * CHUNK)))));
        }
        raw.writeManifest(new StoredManifest("x.bin", o.version(), data.length, CHUNK, shas, null));
        Thread.sleep(1100);
        try (ObjectReader.Session s = reader.session(0)) {
          reader.read(o, 0, ByteBuffer.allocate(CHUNK), s);
          reader.read(o, CHUNK, ByteBuffer.allocate(CHUNK), s);
        }
        assertEquals(2, asks.get(), "the next open asks once more");
        assertTrue(reader.manifest(o).verifiable(), "and reads by the manifest it found");
        try (ObjectReader.Session s = reader.session(0)) {
          reader.read(o, 0, ByteBuffer.allocate(CHUNK), s);
        }
        assertEquals(2, asks.get(), "a manifest found is kept (in the catalog too)");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}

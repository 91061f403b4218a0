package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.local.LocalStore;

/**
 * Chunk manifests of versions replaced or deleted through this machine are removed by the upkeep a grace
 * period later (open handles may still read them), never the current version's, even when a key holds a
 * retired version again; manifests recorded under the old id layout are still read.
 */
class ManifestSweepTest {
  static final int CHUNK = 4096;
  static final Duration GRACE = Duration.ofDays(1);
  @TempDir
  Path tmp;
  LocalStore store;
  Catalog catalog;
  StreamingManager m;
  Namespace ns;
  int seq;

  @BeforeEach
  void open() throws IOException {
    store = LocalStore.open(tmp.resolve("store"), true);
    catalog = Catalog.open(tmp.resolve("state"));
    m = EngineFixture.manager(store, catalog, EngineFixture.fast().chunkSizeBytes(CHUNK).build());
    ns = new Namespace(m);
  }

  @AfterEach
  void close() {
    m.close();
    catalog.close();
    store.close();
  }

  /** Writes {@code key} through a staged upload (as the mount does) and returns the stored version. */
  private ObjectInfo write(String key, long seed) throws Exception {
    Path staging = tmp.resolve("staged-" + (seq++));
    byte[] data = new byte[3 * CHUNK + 5];
    new Random(seed).nextBytes(data);
    Files.write(staging, data);
    StagedUpload u = m.openStagedUpload(key, staging, null, Map.of());
    for (int i = 0; i < 4; i++) {
      u.markDirty(i);
    }
    return u.commit(data.length, Map.of()).get();
  }

  private Instant later() {
    return Instant.now().plus(GRACE).plusSeconds(60);
  }

  @Test
  void replacedAndDeletedVersionsGoAfterTheGracePeriod() throws Exception {
    ObjectInfo v1 = write("a.bin", 1);
    ObjectInfo v2 = write("a.bin", 2);
    write("b.bin", 3);
    assertEquals(2, m.manifests().idsOf("a.bin").size());
    assertEquals(1, m.manifests().pendingRetirements(), "the replaced version is retired");
    assertEquals(0, m.maintain(7, Instant.now(), GRACE).manifestsRemoved(), "kept during the grace period");
    assertEquals(0, m.manifests().pendingRetirements(), "written to the catalog by the sweep");
    assertTrue(m.manifest(v1).verifiable(), "an open handle on the old version still verifies");
    ns.delete("b.bin");
    assertEquals(2, m.maintain(7, later(), GRACE).manifestsRemoved());
    assertEquals(1, m.manifests().idsOf("a.bin").size(), "only the current version's record is left");
    assertArrayEquals(Manifests.id("a.bin", v2.version()), m.manifests().idsOf("a.bin").get(0));
    assertTrue(m.manifest(store.stat("a.bin")).verifiable(), "the current version keeps its checksums");
    assertTrue(m.manifests().idsOf("b.bin").isEmpty());
    assertEquals(0, m.maintain(7, later(), GRACE).manifestsRemoved(), "nothing twice");
  }

  @Test
  void aKeyHoldingARetiredVersionAgainKeepsIt() throws Exception {
    ObjectInfo v = write("x.bin", 4);
    ns.rename("x.bin", "y.bin"); // a local store moves the file: same version under the new key
    ns.rename("y.bin", "x.bin"); // and back: x.bin holds the version retired by the first move
    assertEquals(v.version(), store.stat("x.bin").version());
    m.maintain(7, later(), GRACE);
    assertTrue(m.manifest(store.stat("x.bin")).verifiable(), "the current version's checksums were removed");
    assertTrue(m.manifests().idsOf("y.bin").isEmpty(), "the version that left y.bin is gone");
  }

  @Test
  void manifestsUnderTheOldIdLayoutAreStillRead() throws Exception {
    store.put("old.bin", new byte[100], Map.of());
    ObjectInfo o = store.stat("old.bin");
    ChunkManifest legacy = new ChunkManifest(100, CHUNK, List.of("ab".repeat(32)), null);
    catalog.table("manifests").put(Manifests.legacyId("old.bin", o.version()),
        new ObjectMapper().writeValueAsBytes(legacy));
    assertEquals(legacy, m.manifest(o));
  }
}

package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoredManifest;
import org.streamfs.store.local.LocalStore;

/**
 * The manifest travels with the object in the store: a machine with a fresh state dir (its own catalog)
 * reads verified what another wrote, detects bit rot in the store's file (size and mtime kept), reads a
 * foreign overwrite unverified instead of calling it corrupt, and keeps verification across rename; delete
 * removes the sidecar.
 */
class ManifestInStoreTest {
  static final int CHUNK = 4096;
  static final int SIZE = 10 * CHUNK + 123;
  @TempDir
  Path tmp;
  LocalStore store;
  Path src;
  int states;

  @BeforeEach
  void open() throws IOException {
    store = LocalStore.open(tmp.resolve("store"), true);
    src = EngineFixture.randomFile(tmp.resolve("src.bin"), SIZE, 7);
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** A machine: an engine over the shared store with a state dir of its own. */
  private final class Machine implements AutoCloseable {
    final Catalog catalog;
    final StreamingManager m;

    Machine() throws IOException {
      catalog = Catalog.open(tmp.resolve("state-" + (states++)));
      m = EngineFixture.manager(store, catalog, EngineFixture.fast().chunkSizeBytes(CHUNK).maxRetries(1).build());
    }

    Path get(String key) throws IOException {
      Path out = tmp.resolve("out-" + states + "-" + System.nanoTime());
      m.downloadFile(key, out, null);
      return out;
    }

    @Override
    public void close() {
      m.close();
      catalog.close();
    }
  }

  /** Flips one byte of the object's file, keeping its size and mtime (bit rot under the store). */
  private void rot(String key, long at) throws IOException {
    Path p = store.root().resolve(key);
    FileTime mtime = Files.getLastModifiedTime(p);
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
    Files.setLastModifiedTime(p, mtime);
  }

  @Test
  void aFreshStateDirReadsVerifiedAndDetectsBitRot() throws IOException {
    try (Machine a = new Machine()) {
      a.m.uploadFile(src, "dir/a.bin", null, Map.of());
    }
    ObjectInfo o = store.stat("dir/a.bin");
    StoredManifest sm = store.readManifest("dir/a.bin");
    assertNotNull(sm, "the upload left its manifest in the store");
    assertTrue(sm.vouchesFor(o), "naming the version it wrote: " + sm.version() + " vs " + o.version());
    assertFalse(store.list("", null).objects().stream().anyMatch(i -> i.key().contains("manifest")),
        "the sidecar is hidden from listings");

    try (Machine b = new Machine()) {
      assertTrue(b.m.manifest(o).verifiable(), "a fresh catalog finds the manifest in the store");
      assertEquals(EngineFixture.sha(src), EngineFixture.sha(b.get("dir/a.bin")));
    }
    rot("dir/a.bin", 5L * CHUNK + 17);
    assertEquals(o.version(), store.stat("dir/a.bin").version(), "rot keeps the store's version");
    try (Machine c = new Machine()) {
      ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> c.get("dir/a.bin"));
      assertEquals("dir/a.bin", e.object());
      assertEquals(5, e.chunkIndex());
    }
  }

  @Test
  void aForeignOverwriteIsReadUnverifiedNotCalledCorrupt() throws IOException {
    try (Machine a = new Machine()) {
      a.m.uploadFile(src, "f.bin", null, Map.of());
    }
    byte[] other = new byte[SIZE];
    new Random(99).nextBytes(other);
    Path p = store.root().resolve("f.bin");
    Files.write(p, other); // another tool rewrites the file in place: same size, new mtime
    Files.setLastModifiedTime(p, FileTime.fromMillis(Files.getLastModifiedTime(p).toMillis() + 5000));
    try (Machine b = new Machine()) {
      ObjectInfo now = store.stat("f.bin");
      assertFalse(b.m.manifest(now).verifiable(), "the stale manifest does not vouch for the new version");
      assertEquals(org.streamfs.model.Sha256.hex(org.streamfs.model.Sha256.digest(other)),
          EngineFixture.sha(b.get("f.bin")));
    }
  }

  @Test
  void renameCarriesTheManifestAndDeleteRemovesIt() throws IOException {
    try (Machine a = new Machine()) {
      a.m.uploadFile(src, "d1/x.bin", null, Map.of());
      a.m.uploadFile(src, "d1/y.bin", null, Map.of());
    }
    try (Machine b = new Machine()) { // another machine renames: it has only the store's manifests
      Namespace ns = new Namespace(b.m);
      ns.rename("d1/x.bin", "d2/x.bin");
      assertNull(store.readManifest("d1/x.bin"), "the old key's manifest went with it");
      java.util.List<ObjectInfo> before = ns.listAll("d1/");
      assertNotNull(ns.movePrefix("d1/", "d3/", before), "a local store moves a directory in one step");
      assertNull(store.readManifest("d1/y.bin"));
    }
    for (String key : new String[] {"d2/x.bin", "d3/y.bin"}) {
      ObjectInfo o = store.stat(key);
      assertTrue(store.readManifest(key).vouchesFor(o), key);
      rot(key, 3);
      try (Machine c = new Machine()) {
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> c.get(key));
        assertEquals(0, e.chunkIndex());
      }
    }
    try (Machine d = new Machine()) {
      new Namespace(d.m).delete("d2/x.bin");
    }
    assertNull(store.readManifest("d2/x.bin"));
    assertTrue(store.listManifestIds().contains(StoredManifest.sidecarId("d3/y.bin")));
    assertEquals(1, store.listManifestIds().size());
  }

  @Test
  void aStagedUploadAsTheMountMakesItLeavesItsManifest() throws Exception {
    byte[] data = Files.readAllBytes(src);
    Path staging = tmp.resolve("staged");
    Files.write(staging, data);
    ObjectInfo v;
    try (Machine a = new Machine()) {
      StagedUpload u = a.m.openStagedUpload("m.bin", staging, null, Map.of());
      for (int i = 0; i * CHUNK < SIZE; i++) {
        u.markDirty(i);
      }
      v = u.commit(data.length, Map.of()).get();
    }
    assertTrue(store.readManifest("m.bin").vouchesFor(v));
    rot("m.bin", SIZE - 1);
    try (Machine b = new Machine()) {
      ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> b.get("m.bin"));
      assertEquals(10, e.chunkIndex());
    }
  }

  @Test
  void aCompletionAcceptedWithoutItsReplyLeavesNoManifestInTheStore() throws IOException {
    org.streamfs.store.ObjectStore lossy = new org.streamfs.testing.PassThrough(store) {
      @Override
      public ObjectInfo completeUpload(String key, String uploadId, java.util.List<org.streamfs.store.PartReceipt> parts,
          org.streamfs.store.Expect expect) throws org.streamfs.store.StoreException {
        super.completeUpload(key, uploadId, parts, expect);
        throw org.streamfs.store.StoreException.notFound(key); // the reply was lost; a retry finds no upload
      }
    };
    try (Catalog c = Catalog.open(tmp.resolve("state-lossy"));
        StreamingManager m = EngineFixture.manager(lossy, c, EngineFixture.fast().chunkSizeBytes(CHUNK)
            .maxRetries(0).build())) {
      m.uploadFile(src, "lost.bin", null, Map.of());
      assertTrue(m.manifest(store.stat("lost.bin")).verifiable(), "this machine keeps its manifest");
    }
    assertNull(store.readManifest("lost.bin"), "accepted by size and time, not by its bytes: nothing vouches"
        + " for it in the store");
  }
}

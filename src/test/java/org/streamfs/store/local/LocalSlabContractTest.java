package org.streamfs.store.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.ObjectStoreContract;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;

/**
 * The whole store contract again with every part eligible for the slab (minSlot 1), so the in-place
 * path, the mixed slab-and-file path and their completion are all held to the contract; plus what the
 * slab adds: completing parts 1..k renames the slab (no copy is left behind), a reopened store lists slab
 * parts for a resume, and a failed completion leaves no receipt claiming bytes the slab no longer holds.
 */
class LocalSlabContractTest extends ObjectStoreContract {
  @TempDir
  Path tmp;

  @Override
  protected ObjectStore newStore() throws Exception {
    return LocalStore.open(tmp.resolve("store"), true, 1);
  }

  private Path uploadDir(String id) {
    return tmp.resolve("store/.streamfs-uploads").resolve(id);
  }

  private static PartReceipt send(ObjectStore s, String key, String up, int n, byte[] b) throws Exception {
    return s.uploadPart(key, up, n, ByteBuffer.wrap(b), Sha256.digest(b));
  }

  @Test
  void inOrderPartsBecomeTheObjectWithoutACopy() throws Exception {
    String key = base + "obj";
    String up = store.beginUpload(key, Map.of("mode", "33188"));
    byte[] a = data(4096, 1);
    byte[] b = data(4096, 2);
    byte[] c = data(100, 3);
    PartReceipt r2 = send(store, key, up, 2, b);
    PartReceipt r1 = send(store, key, up, 1, a);
    PartReceipt r3 = send(store, key, up, 3, c);
    assertTrue(Files.exists(uploadDir(up).resolve(LocalSlab.FILE)), "full parts went to the slab");
    try (Stream<Path> files = Files.list(uploadDir(up))) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().startsWith("part-")).count(),
          "only the short last part is a separate file");
    }
    store.completeUpload(key, up, List.of(r1, r2, r3));
    assertArrayEquals(concat(a, b, c), read(key));
    assertFalse(Files.exists(uploadDir(up)));
    assertEquals("33188", store.stat(key).metadata().get("mode"));
  }

  @Test
  void aReopenedStoreListsSlabPartsForAResume() throws Exception {
    String key = base + "resume";
    String up = store.beginUpload(key, Map.of());
    send(store, key, up, 1, data(2048, 1));
    send(store, key, up, 3, data(2048, 3));
    try (ObjectStore again = LocalStore.open(tmp.resolve("store"), true, 1)) {
      List<PartReceipt> held = again.listParts(key, up);
      assertEquals(List.of(1, 3), held.stream().map(PartReceipt::partNumber).toList());
      assertEquals(Sha256.hex(Sha256.digest(data(2048, 3))), held.get(1).sha256Hex());
      PartReceipt r2 = send(again, key, up, 2, data(2048, 2));
      again.completeUpload(key, up, List.of(held.get(0), r2, held.get(1)));
    }
    assertArrayEquals(concat(data(2048, 1), data(2048, 2), data(2048, 3)), read(key));
  }

  @Test
  void aFailedCompletionLeavesNoReceiptForTheSlab() throws Exception {
    String key = base + "blocked";
    String up = store.beginUpload(key, Map.of());
    PartReceipt r1 = send(store, key, up, 1, data(2048, 1));
    PartReceipt r2 = send(store, key, up, 2, data(10, 2));
    Files.createDirectories(tmp.resolve("store").resolve(key).resolve("inner"));
    StoreException e = assertKind(StoreException.Kind.PERMANENT,
        () -> store.completeUpload(key, up, List.of(r1, r2)));
    assertTrue(e.getMessage().contains("directory"), e.getMessage());
    assertEquals(List.of(2), store.listParts(key, up).stream().map(PartReceipt::partNumber).toList(),
        "only the separate last part is still listed");
  }
}

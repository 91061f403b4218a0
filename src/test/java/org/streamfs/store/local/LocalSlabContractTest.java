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

  /** A direct buffer starting {@code skew} bytes after a 4 KiB boundary, holding {@code b}. */
  private static ByteBuffer direct(byte[] b, int skew) {
    ByteBuffer raw = ByteBuffer.allocateDirect(b.length + 8192);
    int off = raw.alignmentOffset(0, 4096);
    int start = (off == 0 ? 0 : 4096 - off) + skew;
    ByteBuffer d = raw.slice(start, b.length);
    d.put(b).flip();
    return d;
  }

  @Test
  void alignedDirectBuffersGoStraightToDiskAndMisalignedOnesThroughTheCache() throws Exception {
    // parts of 64 KiB + 123 bytes: the aligned head of an aligned direct buffer is written with O_DIRECT,
    // its 123-byte tail through the page cache; a skewed direct buffer and a heap buffer take the buffered
    // path. Whatever path each part took, the object must be exactly the bytes sent.
    int size = 65536 + 123;
    String key = base + "direct";
    String up = store.beginUpload(key, Map.of());
    byte[] a = data(size, 1);
    byte[] b = data(size, 2);
    byte[] c = data(size, 3);
    byte[] d = data(77, 4);
    PartReceipt r2 = store.uploadPart(key, up, 2, direct(b, 512), Sha256.digest(b));
    PartReceipt r1 = store.uploadPart(key, up, 1, direct(a, 0), Sha256.digest(a));
    assertEquals(Boolean.TRUE, LocalSlab.directUsed(tmp.resolve("store/.streamfs-uploads")),
        "an aligned part was not written with O_DIRECT (does " + tmp + "'s file system refuse it?)");
    PartReceipt r3 = store.uploadPart(key, up, 3, ByteBuffer.wrap(c), Sha256.digest(c));
    PartReceipt r4 = store.uploadPart(key, up, 4, direct(d, 0), Sha256.digest(d));
    // part 1 again, after the slab holds its neighbours: a rewrite must land on its own slot only
    byte[] a2 = data(size, 5);
    r1 = store.uploadPart(key, up, 1, direct(a2, 0), Sha256.digest(a2));
    store.completeUpload(key, up, List.of(r1, r2, r3, r4));
    assertArrayEquals(concat(a2, b, c, d), read(key));
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

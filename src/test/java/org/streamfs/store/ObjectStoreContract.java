package org.streamfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamfs.model.Sha256;
import org.streamfs.store.StoreException.Kind;

/**
 * The one contract every {@link ObjectStore} passes (restic {@code backend/test}, JuiceFS
 * {@code testStorage}): a subclass supplies {@link #newStore()} (and optionally {@link #cleanUp}) and inherits
 * every test. Tests work under a fresh random prefix so that a shared bucket or database can be reused; part
 * sizes come from {@code store.limits().minPartSize()} so S3 (5 MiB) runs the same tests as the local and
 * memory stores. Where stores legitimately differ (the local store shows every directory as a marker), the
 * assertions only check what all of them promise.
 */
public abstract class ObjectStoreContract {

  /** A fresh, empty (or at least private-enough) store for one test. */
  protected abstract ObjectStore newStore() throws Exception;

  /** Called after each test, after the store was closed: delete directories, buckets, databases. */
  protected void cleanUp(ObjectStore store) throws Exception {}

  protected ObjectStore store;
  /** Every key of a test lives below this prefix. */
  protected String base;
  protected int partSize;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
    base = "contract-" + Long.toHexString(new Random().nextLong() & Long.MAX_VALUE) + "/";
    partSize = (int) Math.max(store.limits().minPartSize(), 1000);
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) {
      store.close();
      cleanUp(store);
    }
  }

  // ---------------------------------------------------------------- helpers

  protected static byte[] data(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  protected static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  protected byte[] read(String key) throws IOException {
    return readAll(store.read(key, 0, -1, null));
  }

  protected static StoreException assertKind(Kind kind, Executable call) {
    StoreException e = assertThrows(StoreException.class, call);
    assertEquals(kind, e.kind(), () -> "wrong kind: " + e.getMessage());
    return e;
  }

  protected PartReceipt part(String key, String upload, int n, byte[] bytes) throws StoreException {
    return store.uploadPart(key, upload, n, ByteBuffer.wrap(bytes), Sha256.digest(bytes));
  }

  protected static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private static List<String> keys(List<ObjectInfo> infos) {
    return infos.stream().map(ObjectInfo::key).toList();
  }

  private static List<String> fileKeys(List<ObjectInfo> infos) {
    return infos.stream().map(ObjectInfo::key).filter(k -> !k.endsWith("/")).toList();
  }

  // ---------------------------------------------------------------- whole objects

  @Test
  void checkAccessSucceedsOnAUsableStore() throws Exception {
    store.checkAccess();
    assertNotNull(store.describe());
  }

  /**
   * Every Linux name the mount can hand over (bytes 0x01-0xFF but {@code /}, as {@code NameBytes} escapes
   * them: U+F700+byte for bytes that are not UTF-8, control characters and \\) is a key the store takes,
   * lists and reads back under exactly that key, each its own object.
   */
  @Test
  void everyEscapedByteNameIsAKeyOfItsOwn() throws Exception {
    java.util.Map<String, byte[]> want = new java.util.TreeMap<>();
    for (int v = 1; v <= 0xff; v++) {
      if (v == '/') {
        continue;
      }
      String name = org.streamfs.fs.NameBytes.fromBytes(new byte[] {(byte) v, 'X'});
      want.put(base + "n/" + name, ("byte " + v).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    want.put(base + "n/" + org.streamfs.fs.NameBytes.fromBytes(new byte[] {(byte) 0xef, (byte) 0x9e,
        (byte) 0x80}), "a real U+F780".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    for (var e : want.entrySet()) {
      store.put(e.getKey(), e.getValue(), Map.of("mode", "33188"));
    }
    java.util.Set<String> listed = new java.util.TreeSet<>();
    store.list(base + "n/", "/").objects().forEach(o -> listed.add(o.key()));
    assertEquals(want.keySet(), listed);
    for (var e : want.entrySet()) {
      assertEquals(e.getKey(), store.stat(e.getKey()).key());
      assertArrayEquals(e.getValue(), read(e.getKey()), e.getKey());
    }
  }

  @Test
  void putThenStatAndRead() throws Exception {
    byte[] bytes = data(3000, 1);
    ObjectInfo put = store.put(base + "f", bytes, Map.of("mode", "33188"));
    ObjectInfo st = store.stat(base + "f");
    assertEquals(base + "f", st.key());
    assertEquals(3000, st.size());
    assertFalse(st.isDirectory());
    assertNotNull(st.version());
    assertEquals(put.version(), st.version());
    assertNotNull(st.lastModified());
    assertEquals("33188", st.metadata().get("mode"));
    assertArrayEquals(bytes, read(base + "f"));
  }

  @Test
  void missingObjectIsNotFound() {
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "nope"));
    assertKind(Kind.NOT_FOUND, () -> store.read(base + "nope", 0, -1, null).close());
    assertKind(Kind.NOT_FOUND, () -> store.copy(base + "nope", base + "other"));
    assertKind(Kind.NOT_FOUND, () -> store.updateMetadata(base + "nope", Map.of()));
  }

  @Test
  void overwriteReplacesBytesAndChangesVersion() throws Exception {
    ObjectInfo a = store.put(base + "f", data(100, 1), Map.of());
    ObjectInfo b = store.put(base + "f", data(100, 2), Map.of());
    assertNotEquals(a.version(), b.version());
    assertEquals(b.version(), store.stat(base + "f").version());
    assertArrayEquals(data(100, 2), read(base + "f"));
  }

  @Test
  void emptyObject() throws Exception {
    store.put(base + "empty", new byte[0], Map.of());
    assertEquals(0, store.stat(base + "empty").size());
    assertEquals(0, read(base + "empty").length);
    assertEquals(0, readAll(store.read(base + "empty", 0, 10, null)).length);
  }

  @Test
  void rangedReads() throws Exception {
    byte[] b = data(10_000, 3);
    store.put(base + "r", b, Map.of());
    assertArrayEquals(Arrays.copyOfRange(b, 0, 100), readAll(store.read(base + "r", 0, 100, null)));
    assertArrayEquals(Arrays.copyOfRange(b, 5000, 6000), readAll(store.read(base + "r", 5000, 1000, null)));
    assertArrayEquals(Arrays.copyOfRange(b, 9000, 10_000), readAll(store.read(base + "r", 9000, -1, null)));
    assertArrayEquals(Arrays.copyOfRange(b, 9500, 10_000), readAll(store.read(base + "r", 9500, 1000, null)));
    assertArrayEquals(Arrays.copyOfRange(b, 1, 2), readAll(store.read(base + "r", 1, 1, null)));
    assertEquals(0, readAll(store.read(base + "r", 10_000, 10, null)).length);
    assertEquals(0, readAll(store.read(base + "r", 20_000, 10, null)).length);
    assertEquals(0, readAll(store.read(base + "r", 100, 0, null)).length);
  }

  @Test
  void ifVersionPreconditionOnRead() throws Exception {
    ObjectInfo v1 = store.put(base + "v", data(500, 1), Map.of());
    assertArrayEquals(data(500, 1), readAll(store.read(base + "v", 0, -1, v1.version())));
    ObjectInfo v2 = store.put(base + "v", data(500, 2), Map.of());
    assertKind(Kind.PRECONDITION_FAILED, () -> store.read(base + "v", 0, -1, v1.version()).close());
    assertArrayEquals(Arrays.copyOfRange(data(500, 2), 10, 500),
        readAll(store.read(base + "v", 10, -1, v2.version())));
  }

  @Test
  void metadataRoundTripWithTheProjectConventions() throws Exception {
    Map<String, String> meta = Map.of("mtime", "1700000000.123456789", "mode", "33188", "uid", "1000",
        "gid", "1000", "streamfs-sha256", Sha256.hex(Sha256.digest(data(10, 1))),
        "streamfs-chunk-size", "10485760");
    store.put(base + "m", data(10, 1), meta);
    assertEquals(meta, store.stat(base + "m").metadata());
    assertEquals(meta, store.list(base, "/").objects().get(0).metadata());
  }

  @Test
  void updateMetadataReplacesItAndKeepsBytes() throws Exception {
    store.put(base + "u", data(200, 1), Map.of("mode", "33188", "uid", "1"));
    ObjectInfo after = store.updateMetadata(base + "u", Map.of("mode", "33261", "gid", "5"));
    assertEquals(Map.of("mode", "33261", "gid", "5"), after.metadata());
    assertEquals(Map.of("mode", "33261", "gid", "5"), store.stat(base + "u").metadata());
    assertArrayEquals(data(200, 1), read(base + "u"));
    assertEquals(200, store.stat(base + "u").size());
  }

  @Test
  void copyDuplicatesBytesAndMetadata() throws Exception {
    store.put(base + "src", data(777, 1), Map.of("mode", "33188"));
    ObjectInfo c = store.copy(base + "src", base + "dir/dst");
    assertEquals(777, c.size());
    assertEquals(Map.of("mode", "33188"), store.stat(base + "dir/dst").metadata());
    assertArrayEquals(data(777, 1), read(base + "dir/dst"));
    store.put(base + "src", data(5, 2), Map.of());
    assertArrayEquals(data(777, 1), read(base + "dir/dst"), "the copy is independent of its source");
  }

  @Test
  void moveInPlaceMovesWholeObjectsOrDeclines() throws Exception {
    store.put(base + "src", data(777, 1), Map.of("mode", "33188"));
    store.put(base + "dir/dst", data(5, 2), Map.of());
    ObjectInfo before = store.stat(base + "src");
    ObjectInfo moved = store.moveInPlace(base + "src", base + "dir/dst");
    if (!store.movesInPlace()) {
      assertNull(moved, "a store that cannot move in place declines");
      assertArrayEquals(data(777, 1), read(base + "src"), "and changes nothing");
      assertArrayEquals(data(5, 2), read(base + "dir/dst"));
      return;
    }
    assertEquals(base + "dir/dst", moved.key());
    assertEquals(before.version(), moved.version(), "the version moves with the object");
    assertEquals(777, moved.size());
    assertArrayEquals(data(777, 1), read(base + "dir/dst"), "the target is replaced");
    assertEquals(Map.of("mode", "33188"), store.stat(base + "dir/dst").metadata());
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "src"));
    assertKind(Kind.NOT_FOUND, () -> store.moveInPlace(base + "src", base + "again"));
    store.put(base + "new/deeper/x", data(3, 3), Map.of());
    assertEquals(3, store.moveInPlace(base + "new/deeper/x", base + "other/deeper/y").size(),
        "parent directories of the target are created");
    store.put(base + "m/", new byte[0], Map.of());
    assertNull(store.moveInPlace(base + "m/", base + "n/"), "directory markers are copied, not moved");
    assertKind(Kind.INVALID_KEY, () -> store.moveInPlace(base + "dir/dst", base + "../../escape"));
  }

  @Test
  void movePrefixInPlaceMovesAWholeDirectoryOrDeclines() throws Exception {
    store.put(base + "p/", new byte[0], Map.of("mode", "16877"));
    store.put(base + "p/a", data(10, 1), Map.of());
    store.put(base + "p/sub/b", data(20, 2), Map.of());
    ObjectInfo a = store.stat(base + "p/a");
    boolean moved = store.movePrefixInPlace(base + "p/", base + "q/");
    if (!store.movesInPlace()) {
      assertFalse(moved, "a store that cannot move in place declines");
    }
    if (!moved) {
      assertArrayEquals(data(20, 2), read(base + "p/sub/b"), "a declined move changes nothing");
      assertKind(Kind.NOT_FOUND, () -> store.stat(base + "q/a"));
      return;
    }
    assertEquals(a.version(), store.stat(base + "q/a").version(), "versions move with the directory");
    assertArrayEquals(data(20, 2), read(base + "q/sub/b"));
    assertEquals("16877", store.stat(base + "q/").metadata().get("mode"), "the marker moves too");
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "p/a"));
    assertTrue(store.list(base + "p/", null).objects().isEmpty());
    store.put(base + "r/x", data(3, 3), Map.of());
    store.put(base + "full/y", data(3, 4), Map.of());
    assertFalse(store.movePrefixInPlace(base + "r/", base + "full/"), "never onto a non-empty directory");
    assertArrayEquals(data(3, 4), read(base + "full/y"));
    store.put(base + "empty/", new byte[0], Map.of());
    assertTrue(store.movePrefixInPlace(base + "r/", base + "empty/"), "onto an empty directory, as rename(2)");
    assertArrayEquals(data(3, 3), read(base + "empty/x"));
    assertFalse(store.movePrefixInPlace(base + "gone/", base + "elsewhere/"), "an absent directory");
    assertFalse(store.movePrefixInPlace(base + "q/", base + "q/inside/"), "never into itself");
  }

  @Test
  void objectAndMarkerAreDistinctKeys() throws Exception {
    store.put(base + "f", data(3, 1), Map.of());
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "f/"));
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "f/g"));
    assertKind(Kind.NOT_FOUND, () -> store.read(base + "f/g", 0, -1, null).close());
    Listing under = store.list(base + "f/", "/");
    assertTrue(under.objects().isEmpty() && under.commonPrefixes().isEmpty());
    store.put(base + "d/", new byte[0], Map.of());
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "d"));
    assertKind(Kind.NOT_FOUND, () -> store.read(base + "d", 0, -1, null).close());
    store.delete(base + "d");
    assertTrue(store.stat(base + "d/").isDirectory(), "deleting key d leaves marker d/ alone");
    store.delete(base + "f/");
    assertEquals(3, store.stat(base + "f").size(), "deleting key f/ leaves object f alone");
  }

  @Test
  void deleteIsIdempotent() throws Exception {
    store.put(base + "d", data(10, 1), Map.of());
    store.delete(base + "d");
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "d"));
    store.delete(base + "d");
    store.delete(base + "never-existed");
  }

  // ---------------------------------------------------------------- listing and markers

  @Test
  void listWithDelimiterRollsUpCommonPrefixesSorted() throws Exception {
    for (String k : List.of("b/d/e", "ab", "b/c", "a", "z", "c/")) {
      store.put(base + k, k.endsWith("/") ? new byte[0] : data(k.length(), 1), Map.of());
    }
    Listing top = store.list(base, "/");
    assertEquals(List.of(base + "a", base + "ab", base + "z"), keys(top.objects()));
    assertEquals(List.of(base + "b/", base + "c/"), top.commonPrefixes());
    assertEquals(2, top.objects().get(1).size());

    Listing b = store.list(base + "b/", "/");
    assertEquals(List.of(base + "b/c"), keys(b.objects()));
    assertEquals(List.of(base + "b/d/"), b.commonPrefixes());

    Listing partial = store.list(base + "a", "/");
    assertEquals(List.of(base + "a", base + "ab"), keys(partial.objects()));
    assertTrue(partial.commonPrefixes().isEmpty());

    Listing none = store.list(base + "nothing/", "/");
    assertTrue(none.objects().isEmpty() && none.commonPrefixes().isEmpty());

    Listing root = store.list("", "/");
    assertTrue(root.commonPrefixes().contains(base), root.commonPrefixes().toString());
  }

  @Test
  void listWithoutDelimiterIsRecursiveAndSorted() throws Exception {
    for (String k : List.of("b/d/e", "ab", "b/c", "a", "c/")) {
      store.put(base + k, k.endsWith("/") ? new byte[0] : data(3, 1), Map.of());
    }
    Listing all = store.list(base, null);
    assertTrue(all.commonPrefixes().isEmpty());
    assertEquals(List.of(base + "a", base + "ab", base + "b/c", base + "b/d/e"), fileKeys(all.objects()));
    List<String> keys = keys(all.objects());
    assertTrue(keys.contains(base + "c/"), "an explicit marker is an object: " + keys);
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(null);
    assertEquals(sorted, keys);
  }

  @Test
  void directoryMarkers() throws Exception {
    ObjectInfo m = store.put(base + "dir/", new byte[0], Map.of("mode", "16877"));
    assertTrue(m.isDirectory());
    ObjectInfo st = store.stat(base + "dir/");
    assertTrue(st.isDirectory());
    assertEquals(0, st.size());
    assertEquals("16877", st.metadata().get("mode"));
    assertEquals(List.of(base + "dir/"), store.list(base, "/").commonPrefixes());

    Listing inside = store.list(base + "dir/", "/");
    assertTrue(inside.objects().isEmpty(), "a marker does not list itself: " + inside);
    assertTrue(inside.commonPrefixes().isEmpty());
    assertTrue(store.list(base + "dir/", null).objects().isEmpty());

    store.put(base + "dir/f", data(4, 1), Map.of());
    assertEquals(List.of(base + "dir/f"), keys(store.list(base + "dir/", "/").objects()));
    store.delete(base + "dir/f");
    store.delete(base + "dir/");
    assertKind(Kind.NOT_FOUND, () -> store.stat(base + "dir/"));
  }

  @Test
  void markerMayNotHoldData() {
    StoreException e = assertThrows(StoreException.class, () -> store.put(base + "x/", data(3, 1), Map.of()));
    assertFalse(e.retryable());
  }

  // ---------------------------------------------------------------- multipart

  @Test
  void multipartOutOfOrderThenComplete() throws Exception {
    String key = base + "big";
    byte[] p1 = data(partSize, 1);
    byte[] p2 = data(partSize, 2);
    byte[] p3 = data(partSize / 2 + 7, 3);
    String up = store.beginUpload(key, Map.of("mode", "33188"));
    assertNotNull(up);
    part(key, up, 3, p3);
    part(key, up, 1, p1);
    part(key, up, 2, p2);
    List<PartReceipt> parts = store.listParts(key, up);
    assertEquals(List.of(1, 2, 3), parts.stream().map(PartReceipt::partNumber).toList());
    assertEquals(List.of((long) p1.length, (long) p2.length, (long) p3.length),
        parts.stream().map(PartReceipt::size).toList());
    assertKind(Kind.NOT_FOUND, () -> store.stat(key));
    assertTrue(store.list(base, null).objects().isEmpty(), "nothing visible before complete");
    assertTrue(store.listUploads(base).stream().anyMatch(u -> u.uploadId().equals(up) && u.key().equals(key)));

    ObjectInfo done = store.completeUpload(key, up, parts);
    assertEquals(p1.length + p2.length + p3.length, done.size());
    assertEquals("33188", store.stat(key).metadata().get("mode"));
    assertArrayEquals(concat(p1, p2, p3), read(key));
    assertTrue(store.listUploads(base).isEmpty());
    assertKind(Kind.NOT_FOUND, () -> store.listParts(key, up));
  }

  @Test
  void reuploadingAPartReplacesIt() throws Exception {
    String key = base + "re";
    String up = store.beginUpload(key, Map.of());
    part(key, up, 1, data(partSize, 1));
    part(key, up, 2, data(100, 2));
    part(key, up, 2, data(50, 9));
    List<PartReceipt> parts = store.listParts(key, up);
    assertEquals(2, parts.size());
    assertEquals(50, parts.get(1).size());
    store.completeUpload(key, up, parts);
    assertArrayEquals(concat(data(partSize, 1), data(50, 9)), read(key));
  }

  @Test
  void partsReceiptsMatchListParts() throws Exception {
    String key = base + "rc";
    String up = store.beginUpload(key, Map.of());
    PartReceipt r1 = part(key, up, 1, data(partSize, 1));
    PartReceipt r2 = part(key, up, 2, data(10, 2));
    assertEquals(1, r1.partNumber());
    assertEquals(partSize, r1.size());
    List<PartReceipt> listed = store.listParts(key, up);
    assertEquals(r1.etag(), listed.get(0).etag());
    assertEquals(r2.etag(), listed.get(1).etag());
    if (listed.get(0).sha256Hex() != null) {
      assertEquals(Sha256.hex(Sha256.digest(data(partSize, 1))), listed.get(0).sha256Hex());
    }
    store.completeUpload(key, up, List.of(r1, r2));
    assertArrayEquals(concat(data(partSize, 1), data(10, 2)), read(key));
  }

  @Test
  void previousObjectIntactUntilComplete() throws Exception {
    String key = base + "prev";
    ObjectInfo old = store.put(key, data(300, 1), Map.of("mode", "1"));
    String up = store.beginUpload(key, Map.of("mode", "2"));
    part(key, up, 1, data(partSize, 2));
    part(key, up, 2, data(10, 3));
    assertArrayEquals(data(300, 1), read(key));
    assertEquals(old.version(), store.stat(key).version());
    ObjectInfo now = store.completeUpload(key, up, store.listParts(key, up));
    assertNotEquals(old.version(), now.version());
    assertEquals("2", store.stat(key).metadata().get("mode"));
    assertArrayEquals(concat(data(partSize, 2), data(10, 3)), read(key));
  }

  @Test
  void partsNotNamedAreDiscarded() throws Exception {
    String key = base + "subset";
    String up = store.beginUpload(key, Map.of());
    PartReceipt r1 = part(key, up, 1, data(partSize, 1));
    PartReceipt r2 = part(key, up, 2, data(partSize, 2));
    part(key, up, 3, data(partSize, 3));
    store.completeUpload(key, up, List.of(r1, r2));
    assertArrayEquals(concat(data(partSize, 1), data(partSize, 2)), read(key));
    assertTrue(store.listUploads(base).isEmpty());
  }

  @Test
  void abortLeavesOldObjectAndNoParts() throws Exception {
    String key = base + "ab";
    store.put(key, data(64, 1), Map.of());
    String up = store.beginUpload(key, Map.of());
    part(key, up, 1, data(partSize, 2));
    store.abortUpload(key, up);
    assertArrayEquals(data(64, 1), read(key));
    assertKind(Kind.NOT_FOUND, () -> store.listParts(key, up));
    assertTrue(store.listUploads(base).isEmpty());
    store.abortUpload(key, up);
  }

  @Test
  void abortWithoutAnyObjectLeavesNothing() throws Exception {
    String key = base + "ab2";
    String up = store.beginUpload(key, Map.of());
    part(key, up, 1, data(20, 2));
    store.abortUpload(key, up);
    assertKind(Kind.NOT_FOUND, () -> store.stat(key));
    assertTrue(store.list(base, null).objects().isEmpty());
  }

  @Test
  void unknownUploadIsNotFound() throws Exception {
    String key = base + "unk";
    String live = store.beginUpload(key, Map.of());
    store.abortUpload(key, live);
    byte[] b = data(10, 1);
    assertKind(Kind.NOT_FOUND, () -> store.uploadPart(key, live, 1, ByteBuffer.wrap(b), Sha256.digest(b)));
    assertKind(Kind.NOT_FOUND, () -> store.listParts(key, live));
    assertKind(Kind.NOT_FOUND, () -> store.completeUpload(key, live,
        List.of(new PartReceipt(1, 10, null, null))));
    assertKind(Kind.NOT_FOUND, () -> store.listParts(key, "0123456789abcdef0123456789abcdef"));
  }

  @Test
  void listUploadsByPrefix() throws Exception {
    String a = store.beginUpload(base + "x/1", Map.of());
    String b = store.beginUpload(base + "y/2", Map.of());
    List<PendingUpload> x = store.listUploads(base + "x/");
    assertEquals(1, x.size());
    assertEquals(a, x.get(0).uploadId());
    assertEquals(base + "x/1", x.get(0).key());
    assertNotNull(x.get(0).initiated());
    assertEquals(2, store.listUploads(base).size());
    store.abortUpload(base + "x/1", a);
    store.abortUpload(base + "y/2", b);
    assertTrue(store.listUploads(base).isEmpty());
  }

  @Test
  void listUploadsNamesEachOpenUploadWithItsStartTimeAndItsIdAborts() throws Exception {
    // What a cleanup of orphan uploads relies on: every open upload is listed, two at one key apart, with the
    // time it began; the listed key and id abort that one upload and no other.
    String key = base + "orphan";
    Instant before = Instant.now().minusSeconds(60);
    String a = store.beginUpload(key, Map.of());
    part(key, a, 1, data(100, 1));
    String b = store.beginUpload(key, Map.of());
    part(key, b, 1, data(100, 2));
    Instant after = Instant.now().plusSeconds(60);
    List<PendingUpload> listed = store.listUploads(base);
    assertEquals(2, listed.size(), listed.toString());
    assertEquals(java.util.Set.of(a, b), listed.stream().map(PendingUpload::uploadId)
        .collect(java.util.stream.Collectors.toSet()));
    for (PendingUpload u : listed) {
      assertEquals(key, u.key());
      assertNotNull(u.initiated(), "start time of " + u);
      assertTrue(!u.initiated().isBefore(before) && !u.initiated().isAfter(after),
          "start time " + u.initiated() + " between " + before + " and " + after);
    }
    PendingUpload first = listed.stream().filter(u -> u.uploadId().equals(a)).findFirst().orElseThrow();
    store.abortUpload(first.key(), first.uploadId());
    assertEquals(List.of(b), store.listUploads(base).stream().map(PendingUpload::uploadId).toList());
    assertKind(Kind.NOT_FOUND, () -> store.listParts(key, a));
    assertEquals(1, store.listParts(key, b).size(), "the other upload keeps its part");
    store.completeUpload(key, b, store.listParts(key, b));
    assertTrue(store.listUploads(base).isEmpty(), "a completed upload is no longer listed");
    assertArrayEquals(data(100, 2), read(key));
  }

  @Test
  void checksumMismatchOnUploadPart() throws Exception {
    String key = base + "cs";
    String up = store.beginUpload(key, Map.of());
    byte[] b = data(100, 1);
    byte[] wrong = Sha256.digest(data(100, 2));
    StoreException e = assertKind(Kind.CHECKSUM, () -> store.uploadPart(key, up, 1, ByteBuffer.wrap(b), wrong));
    assertTrue(e.retryable());
    assertTrue(store.listParts(key, up).isEmpty(), "a part that failed its checksum is not kept");
    store.abortUpload(key, up);
  }

  @Test
  void uploadPartLeavesTheBufferPositionAlone() throws Exception {
    String key = base + "buf";
    String up = store.beginUpload(key, Map.of());
    ByteBuffer buf = ByteBuffer.allocate(200);
    buf.put(data(200, 1)).flip().position(50);
    byte[] expected = Arrays.copyOfRange(data(200, 1), 50, 200);
    store.uploadPart(key, up, 1, buf, Sha256.digest(expected));
    assertEquals(50, buf.position());
    store.completeUpload(key, up, store.listParts(key, up));
    assertArrayEquals(expected, read(key));
  }

  @Test
  void copyPartFromAnotherObject() throws Exception {
    byte[] src = data(partSize * 2, 7);
    ObjectInfo s = store.put(base + "src", src, Map.of());
    String key = base + "cp";
    String up = store.beginUpload(key, Map.of());
    PartReceipt r1 = store.copyPart(key, up, 1, base + "src", s.version(), partSize, partSize);
    PartReceipt r2 = part(key, up, 2, data(33, 8));
    assertEquals(partSize, r1.size());
    assertKind(Kind.PRECONDITION_FAILED,
        () -> store.copyPart(key, up, 3, base + "src", "not-the-version", 0, 10));
    store.completeUpload(key, up, List.of(r1, r2));
    assertArrayEquals(concat(Arrays.copyOfRange(src, partSize, 2 * partSize), data(33, 8)), read(key));
  }

  @Test
  void partsUploadedInParallel() throws Exception {
    String key = base + "par";
    String up = store.beginUpload(key, Map.of());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<PartReceipt>> fs = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        int n = i;
        fs.add(pool.submit(() -> part(key, up, n, data(partSize, n))));
      }
      for (Future<PartReceipt> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    store.completeUpload(key, up, store.listParts(key, up));
    byte[] all = read(key);
    assertEquals(6L * partSize, all.length);
    for (int i = 1; i <= 6; i++) {
      assertArrayEquals(data(partSize, i), Arrays.copyOfRange(all, (i - 1) * partSize, i * partSize));
    }
  }

  // ---------------------------------------------------------------- keys

  @ParameterizedTest
  @ValueSource(strings = {"..", "../x", "a/../b", "/abs", "a//b", "a/./b", "a\u0000b", "a\nb",
      ".streamfs-uploads/x", ".streamfs-tmp/y", ""})
  void invalidKeysAreRefused(String key) {
    byte[] b = data(3, 1);
    assertKind(Kind.INVALID_KEY, () -> store.stat(key));
    assertKind(Kind.INVALID_KEY, () -> store.put(key, b, Map.of()));
    assertKind(Kind.INVALID_KEY, () -> store.read(key, 0, -1, null).close());
    assertKind(Kind.INVALID_KEY, () -> store.beginUpload(key, Map.of()));
    assertKind(Kind.INVALID_KEY, () -> store.delete(key));
    assertKind(Kind.INVALID_KEY, () -> store.updateMetadata(key, Map.of()));
  }

  @Test
  void overLongKeysAreRefused() throws Exception {
    StringBuilder deep = new StringBuilder(base);
    while (deep.length() <= store.limits().maxKeyBytes()) {
      deep.append("k".repeat(200)).append('/');
    }
    String longKey = deep.append('k').toString();
    assertKind(Kind.INVALID_KEY, () -> store.put(longKey, new byte[1], Map.of()));
    String longSegment = base + "s".repeat(StoreKeys.MAX_SEGMENT_BYTES + 1);
    assertKind(Kind.INVALID_KEY, () -> store.put(longSegment, new byte[1], Map.of()));
    assertKind(Kind.INVALID_KEY, () -> store.copy(base + "ok", "../escape"));
    String fine = base + "s".repeat(200);
    store.put(fine, new byte[1], Map.of());
    assertEquals(1, store.stat(fine).size());
  }

  @Test
  void unicodeAndSpacesInKeys() throws Exception {
    String key = base + "dir with space/résumé ü 文件.pdf";
    store.put(key, data(9, 1), Map.of());
    assertArrayEquals(data(9, 1), read(key));
    assertEquals(List.of(base + "dir with space/"), store.list(base, "/").commonPrefixes());
    assertEquals(List.of(key), keys(store.list(base + "dir with space/", "/").objects()));
  }
  // ---- conditional writes (Expect): the base a writer started from must still be there ----

  @Test
  protected void conditionalPutLandsOnlyOnTheExpectedVersion() throws Exception {
    String k = base + "cond-put";
    ObjectInfo v1 = store.put(k, data(300, 1), Map.of(), Expect.ABSENT);
    assertKind(Kind.CONFLICT, () -> store.put(k, data(300, 2), Map.of(), Expect.ABSENT));
    ObjectInfo v2 = store.put(k, data(300, 3), Map.of(), Expect.version(v1.version()));
    StoreException e = assertKind(Kind.CONFLICT, () -> store.put(k, data(300, 4), Map.of(),
        Expect.version(v1.version())));
    assertEquals(k, e.key());
    assertArrayEquals(data(300, 3), read(k));
    assertEquals(v2.version(), store.stat(k).version());
    store.delete(k);
    assertKind(Kind.CONFLICT, () -> store.put(k, data(300, 5), Map.of(), Expect.version(v2.version())));
    assertKind(Kind.NOT_FOUND, () -> store.stat(k));
  }

  @Test
  protected void conditionalCompleteLandsOnlyOnTheExpectedVersion() throws Exception {
    String k = base + "cond-mp";
    byte[] first = data(partSize + 10, 1);
    ObjectInfo v1 = completeWhole(k, first, Expect.ABSENT);
    assertArrayEquals(first, read(k));
    // another writer replaces v1 while this upload is under way: the completion must not overwrite it
    String up = store.beginUpload(k, Map.of());
    List<PartReceipt> parts = uploadWhole(k, up, data(partSize + 20, 2));
    ObjectInfo other = store.put(k, data(50, 3), Map.of());
    StoreException e = assertKind(Kind.CONFLICT, () -> store.completeUpload(k, up, parts,
        Expect.version(v1.version())));
    assertTrue(e.getMessage().contains(other.version()), e.getMessage());
    assertArrayEquals(data(50, 3), read(k));
    store.abortUpload(k, up);
    // a fresh key expected absent, created meanwhile by someone else
    String k2 = base + "cond-new";
    String up2 = store.beginUpload(k2, Map.of());
    List<PartReceipt> parts2 = uploadWhole(k2, up2, data(100, 4));
    store.put(k2, data(7, 5), Map.of());
    assertKind(Kind.CONFLICT, () -> store.completeUpload(k2, up2, parts2, Expect.ABSENT));
    assertArrayEquals(data(7, 5), read(k2));
    store.abortUpload(k2, up2);
    // the expected version still there: it lands
    ObjectInfo v3 = completeWhole(k, data(partSize + 30, 6), Expect.version(other.version()));
    assertArrayEquals(data(partSize + 30, 6), read(k));
    assertEquals(v3.version(), store.stat(k).version());
  }

  /**
   * Whether the store checks a write's condition and publishes in one atomic step, so that writers racing
   * from one base are serialised. False for a server that checks, then writes (S3Proxy).
   */
  protected boolean atomicConditionalWrites() {
    return true;
  }

  /**
   * Writers racing from one base: every completion lands or is a CONFLICT (nothing else), at least one
   * lands, and the object holds a winner's bytes whole. On a store whose condition check and publish are one
   * step exactly one lands; on one that checks, then writes (S3Proxy), several may (the window SEMANTICS.md
   * documents), never a mix of two.
   */
  @Test
  void twoWritersFromOneBaseRacingToCompleteExactlyOneWins() throws Exception {
    String k = base + "race";
    ObjectInfo v0 = store.put(k, data(10, 9), Map.of());
    int writers = 4;
    List<String> ids = new ArrayList<>();
    List<List<PartReceipt>> parts = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      String up = store.beginUpload(k, Map.of());
      ids.add(up);
      parts.add(uploadWhole(k, up, data(100 + w, 20 + w)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Integer> won = new ArrayList<>();
    try {
      List<Future<ObjectInfo>> results = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int i = w;
        results.add(pool.submit(() -> store.completeUpload(k, ids.get(i), parts.get(i),
            Expect.version(v0.version()))));
      }
      for (int w = 0; w < writers; w++) {
        try {
          results.get(w).get();
          won.add(w);
        } catch (java.util.concurrent.ExecutionException e) {
          assertEquals(Kind.CONFLICT, ((StoreException) e.getCause()).kind(), e.getCause().toString());
          store.abortUpload(k, ids.get(w));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertFalse(won.isEmpty(), "none landed");
    if (atomicConditionalWrites()) {
      assertEquals(1, won.size(), "completions from one base that landed: " + won);
    }
    byte[] stored = read(k);
    assertTrue(won.stream().anyMatch(w -> java.util.Arrays.equals(data(100 + w, 20 + w), stored)),
        "the object holds no winner's bytes whole");
  }

  /** Writers that each remember the version they last saw, interleaved at random against a model. */
  @Test
  void randomizedConditionalWritesMatchAModel() throws Exception {
    long seed = Long.getLong("streamfs.seed", System.nanoTime());
    System.out.println("randomizedConditionalWritesMatchAModel seed=" + seed + " (rerun: -Dstreamfs.seed=" + seed
        + ")");
    Random r = new Random(seed);
    String k = base + "model";
    ObjectInfo[] seen = new ObjectInfo[3];
    String modelVersion = null;
    byte[] modelBytes = null;
    for (int step = 0; step < 24; step++) {
      int w = r.nextInt(seen.length);
      byte[] bytes = data(1 + r.nextInt(200), r.nextInt(1000));
      Expect expect = Expect.of(seen[w]);
      boolean multipart = r.nextBoolean();
      boolean lands = expect.matches(modelVersion);
      try {
        ObjectInfo o;
        if (multipart) {
          o = completeWhole(k, bytes, expect);
        } else {
          o = store.put(k, bytes, Map.of(), expect);
        }
        assertTrue(lands, "seed " + seed + " step " + step + ": landed over " + modelVersion + " expecting " + expect);
        modelVersion = o.version();
        modelBytes = bytes;
        seen[w] = o;
      } catch (StoreException e) {
        assertEquals(Kind.CONFLICT, e.kind(), "seed " + seed + " step " + step + ": " + e);
        assertFalse(lands, "seed " + seed + " step " + step + ": refused although " + expect + " held");
        seen[w] = store.stat(k); // the writer learns the current version, as after a conflict copy
        for (PendingUpload p : store.listUploads(k)) {
          if (p.key().equals(k)) {
            store.abortUpload(k, p.uploadId());
          }
        }
      }
      if (modelBytes != null) {
        assertArrayEquals(modelBytes, read(k), "seed " + seed + " step " + step);
        assertEquals(modelVersion, store.stat(k).version(), "seed " + seed + " step " + step);
      }
    }
  }

  private List<PartReceipt> uploadWhole(String key, String uploadId, byte[] bytes) throws StoreException {
    List<PartReceipt> parts = new ArrayList<>();
    int n = 1;
    for (int off = 0; off < bytes.length; off += partSize, n++) {
      ByteBuffer b = ByteBuffer.wrap(bytes, off, Math.min(partSize, bytes.length - off)).slice();
      parts.add(store.uploadPart(key, uploadId, n, b, Sha256.digest(b)));
    }
    return parts;
  }

  private ObjectInfo completeWhole(String key, byte[] bytes, Expect expect) throws StoreException {
    String up = store.beginUpload(key, Map.of());
    return store.completeUpload(key, up, uploadWhole(key, up, bytes), expect);
  }
}

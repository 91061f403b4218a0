package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.store.couchdb.CouchDbTestSupport.MIB;
import static org.streamfs.store.couchdb.CouchDbTestSupport.random;
import static org.streamfs.store.couchdb.CouchDbTestSupport.readAll;
import static org.streamfs.store.couchdb.CouchDbTestSupport.uploadParts;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.streamfs.model.Sha256;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.testing.PouchDbServer;

/**
 * The CouchDB store against a real pouchdb-server: put/stat/read (ranges across chunk attachments),
 * multipart uploads in both write modes, listing with common prefixes, copy, metadata, delete.
 */
class CouchDbMappingIT {
  private static PouchDbServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = CouchDbTestSupport.startServer();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void putStatAndRangedReadsAcrossChunks() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    byte[] data = random(9 * MIB + 123, 1);
    ObjectInfo put = store.put("docs/a.bin", data, Map.of("mode", "33188", "mtime", "1.5"));
    ObjectInfo st = store.stat("docs/a.bin");
    assertEquals(data.length, st.size());
    assertEquals(put.version(), st.version());
    assertEquals("33188", st.metadata().get("mode"));
    assertArrayEquals(data, readAll(store, "docs/a.bin", 0, -1, null));
    long[][] ranges = {{0, 10}, {4 * MIB - 5, 10}, {4 * MIB, 4 * MIB}, {3 * MIB, 5 * MIB + 7},
        {data.length - 3, 100}, {data.length, 10}, {data.length + 50, 10}, {7, 0}};
    for (long[] r : ranges) {
      int from = (int) Math.min(r[0], data.length);
      int to = (int) Math.min(data.length, r[0] + r[1]);
      assertArrayEquals(Arrays.copyOfRange(data, from, Math.max(from, to)),
          readAll(store, "docs/a.bin", r[0], r[1], st.version()), "range " + r[0] + "+" + r[1]);
    }
    // The document is the manifest, the chunks are attachments c000000..c000002.
    JsonNode doc = new DocAccess(storeHttp(store), null).getDoc("docs/a.bin", "docs/a.bin");
    assertEquals(3, doc.path("_attachments").size());
    assertEquals(4 * MIB, doc.path("_attachments").path("c000000").path("length").asLong());
    assertEquals(Sha256.hex(Sha256.digest(data)), doc.path("streamfs").path("sha256").asText());
    StoreException stale = assertThrows(StoreException.class,
        () -> store.read("docs/a.bin", 0, 1, "1-00000000000000000000000000000000"));
    assertEquals(StoreException.Kind.PRECONDITION_FAILED, stale.kind());
    assertEquals(StoreException.Kind.NOT_FOUND,
        assertThrows(StoreException.class, () -> store.stat("docs/missing")).kind());
  }

  @Test
  void theDocumentIsTheManifestANewRevisionVouchesForItsOwnBytes() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    byte[] data = random(9 * MIB + 5, 4);
    store.put("m/a.bin", data, Map.of());
    ObjectInfo st = store.stat("m/a.bin");
    org.streamfs.store.StoredManifest m = store.readManifest("m/a.bin");
    assertTrue(m.vouchesFor(st), m + " vs " + st);
    assertEquals(Sha256.hex(Sha256.digest(Arrays.copyOfRange(data, (int) m.chunkSize(),
        (int) (2 * m.chunkSize())))), m.chunkSha256().get(1));
    store.put("m/a.bin", random(100, 5), Map.of());
    ObjectInfo again = store.stat("m/a.bin");
    assertTrue(store.readManifest("m/a.bin").vouchesFor(again), "the new revision has its own manifest");
    assertTrue(!m.vouchesFor(again), "the old one vouches for nothing new");
    store.delete("m/a.bin");
    assertEquals(null, store.readManifest("m/a.bin"));
  }

  @ParameterizedTest
  @EnumSource(DocWriter.Mode.class)
  void multipartUploadKeepsOldVersionUntilCompleteThenSwaps(DocWriter.Mode mode) throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, mode);
    byte[] v1 = random(1000, 2);
    store.put("f.bin", v1, Map.of());
    byte[] v2 = random(3 * MIB + MIB / 2, 3);
    String id = store.beginUpload("f.bin", Map.of("mtime", "7.0", "streamfs-sha256",
        Sha256.hex(Sha256.digest(v2))));
    List<PartReceipt> receipts = uploadParts(store, "f.bin", id, v2, MIB);
    assertEquals(4, receipts.size());
    List<PartReceipt> listed = store.listParts("f.bin", id);
    assertEquals(receipts.size(), listed.size());
    for (int i = 0; i < listed.size(); i++) {
      assertEquals(receipts.get(i).partNumber(), listed.get(i).partNumber());
      assertEquals(receipts.get(i).size(), listed.get(i).size());
      assertEquals(receipts.get(i).etag(), listed.get(i).etag(), "server md5 digest = ours");
      assertEquals(receipts.get(i).sha256Hex(), listed.get(i).sha256Hex());
    }
    assertEquals(List.of(id), store.listUploads("").stream().map(u -> u.uploadId()).toList());
    assertArrayEquals(v1, readAll(store, "f.bin", 0, -1, null), "old version whole during upload");
    assertTrue(store.list("", "/").objects().stream().noneMatch(o -> o.key().contains("streamfs")));
    ObjectInfo done = store.completeUpload("f.bin", id, receipts);
    assertEquals(v2.length, done.size());
    assertEquals("7.0", done.metadata().get("mtime"));
    assertArrayEquals(v2, readAll(store, "f.bin", 0, -1, null));
    assertArrayEquals(Arrays.copyOfRange(v2, MIB - 3, 2 * MIB + 3),
        readAll(store, "f.bin", MIB - 3, MIB + 6, done.version()));
    assertTrue(store.listUploads("").isEmpty(), "staging document deleted");
    assertEquals(StoreException.Kind.NOT_FOUND,
        assertThrows(StoreException.class, () -> store.listParts("f.bin", id)).kind());
    // A retried completion (lost answer) is recognised, not an error.
    assertEquals(done.version(), store.completeUpload("f.bin", id, receipts).version());
  }

  @Test
  void copyModeFallsBackToStreamingForIdsThatCannotBeADestinationHeader() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, DocWriter.Mode.COPY);
    byte[] data = random(2 * MIB + 3, 16);
    for (String key : List.of("plain/name.bin", "odd/résumé?.bin")) {
      String id = store.beginUpload(key, Map.of());
      ObjectInfo done = store.completeUpload(key, id, uploadParts(store, key, id, data, MIB));
      assertEquals(done.version(), store.stat(key).version());
      assertArrayEquals(data, readAll(store, key, 0, -1, done.version()));
      assertArrayEquals(data, readAll(store, store.copy(key, key + ".copy").key(), 0, -1, null));
    }
    JsonNode plain = new DocAccess(store.http(), null).getDoc("plain/name.bin", "x");
    assertTrue(plain.path("_attachments").has("p00001"), "COPY keeps the part names: " + plain);
    JsonNode odd = new DocAccess(store.http(), null).getDoc("odd/résumé?.bin", "x");
    assertTrue(odd.path("_attachments").has("c000000"), "streamed instead: " + odd);
    assertTrue(store.listUploads("").isEmpty());
  }

  @Test
  void abortDiscardsPartsAndLeavesObjectAlone() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    byte[] v1 = random(5000, 4);
    store.put("keep", v1, Map.of());
    String id = store.beginUpload("keep", Map.of());
    uploadParts(store, "keep", id, random(2 * MIB, 5), MIB);
    store.abortUpload("keep", id);
    store.abortUpload("keep", id);
    assertTrue(store.listUploads("").isEmpty());
    assertArrayEquals(v1, readAll(store, "keep", 0, -1, null));
    assertEquals(StoreException.Kind.NOT_FOUND, assertThrows(StoreException.class,
        () -> store.uploadPart("keep", id, 3, ByteBuffer.wrap(new byte[1]), null)).kind());
  }

  @Test
  void partWithWrongChecksumIsRefusedAndPartsCanBeReplaced() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    String id = store.beginUpload("x", Map.of());
    byte[] a = random(1000, 6);
    StoreException e = assertThrows(StoreException.class, () -> store.uploadPart("x", id, 1,
        ByteBuffer.wrap(a), Sha256.digest(new byte[] {1})));
    assertEquals(StoreException.Kind.CHECKSUM, e.kind());
    assertTrue(store.listParts("x", id).isEmpty());
    store.uploadPart("x", id, 1, ByteBuffer.wrap(random(10, 7)), null);
    PartReceipt r = store.uploadPart("x", id, 1, ByteBuffer.wrap(a), Sha256.digest(a));
    assertEquals(List.of(r), store.listParts("x", id));
    store.completeUpload("x", id, List.of(r));
    assertArrayEquals(a, readAll(store, "x", 0, -1, null));
  }

  @Test
  void listsWithCommonPrefixesSortedAndSkipsUploads() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    for (String k : List.of("a.txt", "_under", "dir/one", "dir/two", "dir/sub/deep", "dir0", "dir/sub/",
        "z/", "émoji/ü")) {
      store.put(k, k.endsWith("/") ? new byte[0] : k.getBytes(), Map.of());
    }
    store.beginUpload("dir/pending", Map.of());
    Listing root = store.list("", "/");
    assertEquals(List.of("_under", "a.txt", "dir0"), root.objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("dir/", "z/", "émoji/"), root.commonPrefixes());
    Listing dir = store.list("dir/", "/");
    assertEquals(List.of("dir/one", "dir/two"), dir.objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("dir/sub/"), dir.commonPrefixes());
    Listing sub = store.list("dir/sub/", "/");
    assertEquals(List.of("dir/sub/deep"), sub.objects().stream().map(ObjectInfo::key).toList());
    Listing flat = store.list("dir", null);
    assertEquals(List.of("dir/one", "dir/sub/", "dir/sub/deep", "dir/two", "dir0"),
        flat.objects().stream().map(ObjectInfo::key).toList());
    assertArrayEquals("_under".getBytes(), readAll(store, "_under", 0, -1, null));
    assertTrue(store.stat("z/").isDirectory());
    store.delete("z/");
    store.delete("z/");
    assertEquals(List.of("dir/", "émoji/"), store.list("", "/").commonPrefixes());
    assertEquals(1, store.listUploads("dir/").size());
    assertTrue(store.listUploads("other/").isEmpty());
  }

  @Test
  void listPagesThroughManyKeys() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    for (int i = 0; i < 230; i++) {
      store.put(String.format("many/k%04d", i), new byte[] {(byte) i}, Map.of());
    }
    store.put("many/sub/x", new byte[1], Map.of());
    Listing l = store.list("many/", "/");
    assertEquals(230, l.objects().size());
    assertEquals("many/k0229", l.objects().get(229).key());
    assertEquals(List.of("many/sub/"), l.commonPrefixes());
  }

  @ParameterizedTest
  @EnumSource(DocWriter.Mode.class)
  void copyUpdateMetadataAndDelete(DocWriter.Mode mode) throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, mode);
    byte[] data = random(2 * MIB + 17, 8);
    String id = store.beginUpload("src", Map.of("mode", "33261"));
    ObjectInfo src = store.completeUpload("src", id, uploadParts(store, "src", id, data, MIB));
    store.put("dst", new byte[] {9}, Map.of());
    ObjectInfo copy = store.copy("src", "dst");
    assertEquals("33261", copy.metadata().get("mode"));
    assertArrayEquals(data, readAll(store, "dst", 0, -1, null));
    ObjectInfo updated = store.updateMetadata("src", Map.of("mode", "33188", "uid", "1000"));
    assertNotEquals(src.version(), updated.version());
    assertEquals(Map.of("mode", "33188", "uid", "1000"), store.stat("src").metadata());
    assertArrayEquals(data, readAll(store, "src", 0, -1, null));
    store.delete("src");
    store.delete("src");
    assertEquals(StoreException.Kind.NOT_FOUND,
        assertThrows(StoreException.class, () -> store.stat("src")).kind());
    assertArrayEquals(data, readAll(store, "dst", 0, -1, null), "the copy outlives its source");
    assertNull(new DocAccess(storeHttp(store), null).getDoc("src", "src"));
  }

  @Test
  void emptyFilesAndCopyPart() throws Exception {
    CouchDbStore store = CouchDbTestSupport.newStore(server, null);
    store.put("empty", new byte[0], Map.of());
    assertEquals(0, store.stat("empty").size());
    assertEquals(0, readAll(store, "empty", 0, -1, null).length);
    byte[] data = random(3 * MIB, 9);
    store.put("whole", data, Map.of());
    String id = store.beginUpload("joined", Map.of());
    PartReceipt p1 = store.copyPart("joined", id, 1, "whole", null, MIB, MIB);
    PartReceipt p2 = store.uploadPart("joined", id, 2, ByteBuffer.wrap(data, 0, 10).slice(), null);
    store.completeUpload("joined", id, List.of(p1, p2));
    byte[] expected = new byte[MIB + 10];
    System.arraycopy(data, MIB, expected, 0, MIB);
    System.arraycopy(data, 0, expected, MIB, 10);
    assertArrayEquals(expected, readAll(store, "joined", 0, -1, null));
  }

  @Test
  void serversThatHonourRangeAreCheckedAndShortBodiesFail() throws Exception {
    CouchDbStore direct = CouchDbTestSupport.newStore(server, null);
    byte[] data = random(5 * MIB, 15);
    String id = direct.beginUpload("r.bin", Map.of());
    ObjectInfo info = direct.completeUpload("r.bin", id, uploadParts(direct, "r.bin", id, data, 2 * MIB));
    try (RangeProxy proxy = new RangeProxy(server.url())) {
      CouchDbStore store = CouchDbStores.fromUri(java.net.URI.create("couchdb://127.0.0.1:" + proxy.port() + "/"
          + direct.http().db()), false, Map.of(), null);
      assertArrayEquals(Arrays.copyOfRange(data, 2 * MIB - 10, 4 * MIB + 10),
          readAll(store, "r.bin", 2 * MIB - 10, 2 * MIB + 20, info.version()));
      assertEquals(3, proxy.partials(), "three chunks, each answered with 206");
      proxy.mode = RangeProxy.Mode.WRONG_RANGE;
      StoreException wrong = assertThrows(StoreException.class, () -> readAll(store, "r.bin", 100, 50, null));
      assertEquals(StoreException.Kind.TRANSIENT, wrong.kind());
      assertTrue(wrong.getMessage().contains("Content-Range"), wrong.getMessage());
      proxy.mode = RangeProxy.Mode.TRUNCATE;
      StoreException shortBody = assertThrows(StoreException.class,
          () -> readAll(store, "r.bin", MIB, 1000, null));
      assertTrue(shortBody.getMessage().contains("early"), shortBody.getMessage());
    }
  }

  static CouchDbHttp storeHttp(CouchDbStore store) {
    return store.http();
  }
}

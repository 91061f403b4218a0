package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.store.couchdb.CouchDbTestSupport.MIB;
import static org.streamfs.store.couchdb.CouchDbTestSupport.random;
import static org.streamfs.store.couchdb.CouchDbTestSupport.raw;
import static org.streamfs.store.couchdb.CouchDbTestSupport.readAll;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.testing.PouchDbServer;

/**
 * Documents written by other CouchDB clients (plain HTTP here) read through the store: each attachment is
 * a file {@code docid/attachment}, ranged reads return the right bytes although pouchdb-server ignores
 * Range, and streamfs refuses to modify those documents.
 */
class CouchDbForeignDocsIT {
  private static PouchDbServer server;
  private CouchDbStore store;
  private String dbUrl;
  private byte[] pdf;

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

  @BeforeEach
  void foreignDocuments() throws Exception {
    store = CouchDbTestSupport.newStore(server, null);
    dbUrl = server.url() + store.http().db();
    pdf = random(3 * MIB + 5, 21);
    String json = "{\"title\":\"Q3 report\",\"_attachments\":{"
        + "\"a.pdf\":{\"content_type\":\"application/pdf\",\"data\":\"" + Base64.getEncoder().encodeToString(pdf)
        + "\"},\"notes/b.txt\":{\"content_type\":\"text/plain\",\"data\":\""
        + Base64.getEncoder().encodeToString("hello notes".getBytes(StandardCharsets.UTF_8)) + "\"}}}";
    assertEquals(201, raw("PUT", dbUrl + "/report", "application/json", json.getBytes()).statusCode());
    // A standalone binary attachment PUT creates the document "shared/doc1".
    assertEquals(201, raw("PUT", dbUrl + "/shared%2Fdoc1/x.bin", "application/octet-stream",
        new byte[] {1, 2, 3}).statusCode());
    assertEquals(201, raw("PUT", dbUrl + "/plain", "application/json", "{\"a\":1}".getBytes()).statusCode());
  }

  @Test
  void attachmentsAreFilesInADocumentFolder() throws Exception {
    Listing root = store.list("", "/");
    assertEquals(List.of("report/", "shared/"), root.commonPrefixes());
    assertTrue(root.objects().isEmpty(), "a document without attachments shows nothing: " + root);
    Listing report = store.list("report/", "/");
    assertEquals(List.of("report/a.pdf"), report.objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("report/notes/"), report.commonPrefixes());
    assertEquals(pdf.length, report.objects().get(0).size());
    assertEquals(List.of("report/notes/b.txt"),
        store.list("report/notes/", "/").objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("report/a.pdf", "report/notes/b.txt", "shared/doc1/x.bin"),
        store.list("", null).objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("shared/doc1/"), store.list("shared/", "/").commonPrefixes());
    assertEquals(List.of("shared/doc1/x.bin"),
        store.list("shared/doc1/", "/").objects().stream().map(ObjectInfo::key).toList());

    ObjectInfo st = store.stat("report/a.pdf");
    assertEquals(pdf.length, st.size());
    assertEquals("application/pdf", st.metadata().get("content-type"));
    assertTrue(st.version().startsWith("1-"), st.version());
    assertTrue(store.stat("report/").isDirectory());
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.stat("report")).kind());
    assertArrayEquals("hello notes".getBytes(), readAll(store, "report/notes/b.txt", 0, -1, null));
    assertArrayEquals(new byte[] {1, 2, 3}, readAll(store, "shared/doc1/x.bin", 0, -1, null));
  }

  @Test
  void rangedReadsAreRightAlthoughTheServerIgnoresRange() throws Exception {
    // The premise: pouchdb-server answers a Range request with 200 and the whole attachment.
    HttpResponse<byte[]> r = CouchDbTestSupport.RAW.send(HttpRequest.newBuilder(URI.create(dbUrl
        + "/report/a.pdf")).header("Range", "bytes=100-199").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertEquals(pdf.length, r.body().length);

    String v = store.stat("report/a.pdf").version();
    long[][] ranges = {{100, 100}, {0, 1}, {MIB, 2 * MIB}, {pdf.length - 1, 10}, {pdf.length, 5}};
    for (long[] range : ranges) {
      int from = (int) range[0];
      int to = (int) Math.min(pdf.length, range[0] + range[1]);
      assertArrayEquals(Arrays.copyOfRange(pdf, from, to), readAll(store, "report/a.pdf", range[0], range[1], v),
          "range " + range[0] + "+" + range[1]);
    }
    // Another client changes the document: a read pinned to the old revision fails, never mixes.
    String json = raw("GET", dbUrl + "/report", null, null).body();
    String rev = CouchDbHttp.JSON.readTree(json).path("_rev").asText();
    assertEquals(201, raw("PUT", dbUrl + "/report/new.txt?rev=" + rev, "text/plain", "n".getBytes())
        .statusCode());
    assertEquals(Kind.PRECONDITION_FAILED,
        assertThrows(StoreException.class, () -> store.read("report/a.pdf", 0, 10, v)).kind());
    assertArrayEquals(Arrays.copyOfRange(pdf, 0, 10), readAll(store, "report/a.pdf", 0, 10, null));
  }

  @Test
  void foreignDocumentsAreNeverModifiedButCanBeCopiedAndShadowed() throws Exception {
    StoreException del = assertThrows(StoreException.class, () -> store.delete("report/a.pdf"));
    assertEquals(Kind.ACCESS_DENIED, del.kind());
    assertTrue(del.getMessage().contains("written by another CouchDB client"), del.getMessage());
    assertEquals(Kind.ACCESS_DENIED, assertThrows(StoreException.class,
        () -> store.put("report", new byte[1], Map.of())).kind());
    assertEquals(Kind.ACCESS_DENIED, assertThrows(StoreException.class,
        () -> store.beginUpload("report", Map.of())).kind());
    assertEquals(Kind.ACCESS_DENIED, assertThrows(StoreException.class,
        () -> store.updateMetadata("report/a.pdf", Map.of("mode", "1"))).kind());
    store.delete("report"); // names the folder, not a file: nothing to delete
    assertEquals(pdf.length, store.stat("report/a.pdf").size());

    for (DocWriter.Mode mode : DocWriter.Mode.values()) {
      CouchDbStore s = CouchDbStores.fromUri(server.storeUri(store.http().db()), false, Map.of(), mode);
      ObjectInfo copy = s.copy("report/a.pdf", "mine/" + mode + ".pdf");
      assertEquals("application/pdf", copy.metadata().get("content-type"));
      assertArrayEquals(pdf, readAll(s, "mine/" + mode + ".pdf", 0, -1, null));
      assertArrayEquals(Arrays.copyOfRange(pdf, 7, 77), readAll(s, "mine/" + mode + ".pdf", 7, 70, null));
    }
    // One of our documents with the same key wins over the foreign attachment.
    store.put("report/a.pdf", "ours".getBytes(), Map.of());
    assertArrayEquals("ours".getBytes(), readAll(store, "report/a.pdf", 0, -1, null));
    assertEquals(1, store.list("report/", "/").objects().size());
    store.delete("report/a.pdf");
    assertArrayEquals(pdf, readAll(store, "report/a.pdf", 0, -1, null));
    assertFalse(raw("GET", dbUrl + "/report", null, null).body().contains("streamfs"));
  }
}

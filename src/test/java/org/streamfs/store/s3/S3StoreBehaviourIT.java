package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.Stores;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.testing.S3ProxyServer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3-specific behaviour of {@link S3Store} against a real S3Proxy: checksums on the wire, the upload ledger
 * and its sweep, ListParts on unknown ids, the 5 MiB rule, objects written by other tools, directory markers,
 * copies and metadata, and the x-amz-mp-object-size workaround.
 */
class S3StoreBehaviourIT {
  private static final int MIB = 1 << 20;
  private static S3ProxyServer server;
  private static String bucket;
  private static S3Store store;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.shared();
    bucket = S3TestSupport.bucketName("s3store");
    S3TestSupport.createBucket(server.endpoint(), bucket);
    store = S3Store.open(server.storeUri(bucket, "pfx/"));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void checkAccessPassesWithTheTestCredentials() throws Exception {
    store.checkAccess();
    assertEquals(5L * MIB, store.limits().minPartSize());
    assertEquals(5L << 30, store.limits().maxPartSize());
    assertEquals(10_000, store.limits().maxParts());
  }

  @Test
  void storesOpensS3UrisAndRefusesCredentialsInThem() throws Exception {
    try (ObjectStore opened = Stores.open(server.storeUri(bucket, "pfx/").toString(), false)) {
      assertTrue(opened instanceof S3Store, opened.getClass().toString());
      opened.checkAccess();
      assertTrue(opened.describe().startsWith("s3://" + bucket + "/pfx/"), opened.describe());
    }
    StoreException e = assertThrows(StoreException.class,
        () -> Stores.open("s3://AKIAEXAMPLE:hunter2@" + bucket + "/pfx/", false));
    assertTrue(e.getMessage().contains("user-info"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), "a refusal must not echo the secret: " + e.getMessage());
  }

  @Test
  void putStatAndRangedReads() throws Exception {
    byte[] data = S3TestSupport.random(100_000, 1);
    Map<String, String> meta = Map.of("mtime", "1700000000.123456789", "mode", "33188", "note", "grüße");
    ObjectInfo put = store.put("rw/a.bin", data, meta);
    ObjectInfo st = store.stat("rw/a.bin");
    assertEquals(data.length, st.size());
    assertEquals(put.version(), st.version());
    assertEquals(meta, st.metadata());
    assertFalse(st.version().startsWith("\""));
    assertArrayEquals(data, S3TestSupport.readAll(store.read("rw/a.bin", 0, -1, null)));
    assertArrayEquals(Arrays.copyOfRange(data, 100, 300),
        S3TestSupport.readAll(store.read("rw/a.bin", 100, 200, st.version())));
    assertArrayEquals(Arrays.copyOfRange(data, 99_990, 100_000),
        S3TestSupport.readAll(store.read("rw/a.bin", 99_990, 1000, null)));
    assertEquals(0, S3TestSupport.readAll(store.read("rw/a.bin", 200_000, 10, null)).length);
    assertEquals(0, S3TestSupport.readAll(store.read("rw/a.bin", 5, 0, null)).length);
    StoreException changed = assertThrows(StoreException.class, () -> store.read("rw/a.bin", 0, 10, "0123abc"));
    assertEquals(Kind.PRECONDITION_FAILED, changed.kind());
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.stat("rw/none")).kind());
    assertEquals(Kind.NOT_FOUND,
        assertThrows(StoreException.class, () -> store.read("rw/none", 0, -1, null)).kind());
    assertEquals(Kind.INVALID_KEY, assertThrows(StoreException.class, () -> store.stat("../x")).kind());
    // Early close of a big read must not hang on draining.
    store.put("rw/empty", new byte[0], Map.of());
    assertEquals(0, S3TestSupport.readAll(store.read("rw/empty", 0, -1, null)).length);
    store.delete("rw/a.bin");
    store.delete("rw/a.bin");
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.stat("rw/a.bin")).kind());
  }

  @Test
  void multipartRoundTripWithSha256PerPart() throws Exception {
    byte[] p1 = S3TestSupport.random(5 * MIB, 2);
    byte[] p2 = S3TestSupport.random(12_345, 3);
    String id = store.beginUpload("mp/file.bin", Map.of("mode", "33188"));
    assertTrue(store.listUploads("mp/").stream().anyMatch(u -> u.uploadId().equals(id)));
    PartReceipt r2 = store.uploadPart("mp/file.bin", id, 2, ByteBuffer.wrap(p2), S3TestSupport.sha256(p2));
    PartReceipt r1 = store.uploadPart("mp/file.bin", id, 1, ByteBuffer.wrap(p1), S3TestSupport.sha256(p1));
    assertEquals(S3Meta.hex(S3TestSupport.sha256(p1)), r1.sha256Hex());
    List<PartReceipt> listed = store.listParts("mp/file.bin", id);
    assertEquals(List.of(1, 2), listed.stream().map(PartReceipt::partNumber).toList());
    assertEquals(List.of((long) p1.length, (long) p2.length), listed.stream().map(PartReceipt::size).toList());
    assertEquals(r1.etag(), listed.get(0).etag());
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.stat("mp/file.bin")).kind());
    ObjectInfo done = store.completeUpload("mp/file.bin", id, List.of(r1, r2));
    assertEquals(p1.length + p2.length, done.size());
    assertEquals("33188", done.metadata().get("mode"));
    byte[] all = S3TestSupport.readAll(store.read("mp/file.bin", 0, -1, done.version()));
    byte[] expected = new byte[p1.length + p2.length];
    System.arraycopy(p1, 0, expected, 0, p1.length);
    System.arraycopy(p2, 0, expected, p1.length, p2.length);
    assertArrayEquals(expected, all);
    assertTrue(store.listUploads("").stream().noneMatch(u -> u.uploadId().equals(id)));
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.listParts("mp/file.bin", id))
        .kind());
  }

  @Test
  void wrongPartChecksumIsAChecksumError() throws Exception {
    byte[] p = S3TestSupport.random(1000, 4);
    String id = store.beginUpload("mp/bad.bin", Map.of());
    byte[] wrong = S3TestSupport.sha256("something else".getBytes(StandardCharsets.UTF_8));
    StoreException e = assertThrows(StoreException.class,
        () -> store.uploadPart("mp/bad.bin", id, 1, ByteBuffer.wrap(p), wrong));
    assertEquals(Kind.CHECKSUM, e.kind(), e.getMessage());
    assertTrue(e.retryable());
    assertTrue(store.listParts("mp/bad.bin", id).isEmpty());
    store.abortUpload("mp/bad.bin", id);
    store.abortUpload("mp/bad.bin", id);
  }

  @Test
  void unknownOrAbortedUploadIdIsNotFoundDespiteEmptyListParts() throws Exception {
    StoreException e = assertThrows(StoreException.class,
        () -> store.listParts("mp/ghost.bin", "00000000-1111-2222-3333-444444444444"));
    assertEquals(Kind.NOT_FOUND, e.kind());
    String id = store.beginUpload("mp/ghost.bin", Map.of());
    assertTrue(store.listParts("mp/ghost.bin", id).isEmpty());
    store.abortUpload("mp/ghost.bin", id);
    assertEquals(Kind.NOT_FOUND,
        assertThrows(StoreException.class, () -> store.listParts("mp/ghost.bin", id)).kind());
  }

  @Test
  void partsBelowFiveMibAreRefusedAtComplete() throws Exception {
    byte[] small = S3TestSupport.random(MIB, 5);
    String id = store.beginUpload("mp/small.bin", Map.of());
    PartReceipt a = store.uploadPart("mp/small.bin", id, 1, ByteBuffer.wrap(small), S3TestSupport.sha256(small));
    PartReceipt b = store.uploadPart("mp/small.bin", id, 2, ByteBuffer.wrap(small), S3TestSupport.sha256(small));
    StoreException e = assertThrows(StoreException.class,
        () -> store.completeUpload("mp/small.bin", id, List.of(a, b)));
    assertEquals(Kind.PERMANENT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("EntityTooSmall"), e.getMessage());
    // A single small part (the last one may be small) is fine.
    ObjectInfo one = store.completeUpload("mp/small.bin", id, List.of(a));
    assertEquals(MIB, one.size());
  }

  @Test
  void objectsWrittenByOtherToolsAreListedAndReadable() throws Exception {
    byte[] data = "written by another tool\n".getBytes(StandardCharsets.UTF_8);
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      raw.putObject(b -> b.bucket(bucket).key("pfx/foreign/x.txt"), RequestBody.fromBytes(data));
      raw.putObject(b -> b.bucket(bucket).key("pfx/foreign/deep/y.txt"), RequestBody.fromBytes(data));
    }
    Listing l = store.list("foreign/", "/");
    assertEquals(List.of("foreign/x.txt"), l.objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("foreign/deep/"), l.commonPrefixes());
    ObjectInfo st = store.stat("foreign/x.txt");
    assertEquals(Map.of(), st.metadata());
    assertArrayEquals(data, S3TestSupport.readAll(store.read("foreign/x.txt", 0, -1, null)));
    // A directory with children but no marker is a directory.
    ObjectInfo dir = store.stat("foreign/deep/");
    assertTrue(dir.isDirectory());
    assertEquals(List.of("foreign/deep/y.txt", "foreign/x.txt"),
        store.list("foreign/", null).objects().stream().map(ObjectInfo::key).toList());
  }

  @Test
  void directoryMarkersAreZeroByteSlashObjects() throws Exception {
    store.put("dirs/d/", new byte[0], Map.of("mode", "16877"));
    store.put("dirs/d/f", new byte[] {1, 2, 3}, Map.of());
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      var h = raw.headObject(b -> b.bucket(bucket).key("pfx/dirs/d/"));
      assertEquals(0L, h.contentLength());
      assertEquals("16877", h.metadata().get("mode"));
    }
    ObjectInfo d = store.stat("dirs/d/");
    assertTrue(d.isDirectory());
    assertEquals("16877", d.metadata().get("mode"));
    Listing top = store.list("dirs/", "/");
    assertEquals(List.of("dirs/d/"), top.commonPrefixes());
    assertTrue(top.objects().isEmpty());
    Listing inside = store.list("dirs/d/", "/");
    assertEquals(List.of("dirs/d/f"), inside.objects().stream().map(ObjectInfo::key).toList());
    // The store's own bookkeeping never shows at the top.
    String id = store.beginUpload("dirs/pending", Map.of());
    Listing root = store.list("", "/");
    assertTrue(root.commonPrefixes().stream().noneMatch(p -> p.startsWith(".streamfs")), root.toString());
    assertTrue(store.list("", null).objects().stream().noneMatch(o -> o.key().startsWith(".streamfs")));
    store.abortUpload("dirs/pending", id);
  }

  @Test
  void renameIsCopyThenDeleteKeepingMetadata() throws Exception {
    byte[] data = S3TestSupport.random(70_000, 6);
    store.put("ren/old", data, Map.of("mode", "33261"));
    ObjectInfo copied = store.copy("ren/old", "ren/new");
    store.delete("ren/old");
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.stat("ren/old")).kind());
    ObjectInfo st = store.stat("ren/new");
    assertEquals("33261", st.metadata().get("mode"));
    assertEquals(copied.version(), st.version());
    assertArrayEquals(data, S3TestSupport.readAll(store.read("ren/new", 0, -1, null)));
    ObjectInfo updated = store.updateMetadata("ren/new", Map.of("mode", "33188", "mtime", "5.000000001"));
    assertEquals(Map.of("mode", "33188", "mtime", "5.000000001"), store.stat("ren/new").metadata());
    assertEquals(data.length, updated.size());
    assertArrayEquals(data, S3TestSupport.readAll(store.read("ren/new", 0, -1, null)));
    assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class, () -> store.copy("ren/none", "ren/x"))
        .kind());
  }

  @Test
  void largeCopiesGoPartByPart() throws Exception {
    byte[] data = S3TestSupport.random(11 * MIB + 7, 7);
    store.put("big/src", data, Map.of("mode", "33188"));
    store.copyLimitOverride = 5L * MIB;
    try {
      ObjectInfo c = store.copy("big/src", "big/dst");
      assertTrue(c.version().endsWith("-3"), c.version());
      assertEquals("33188", store.stat("big/dst").metadata().get("mode"));
      assertArrayEquals(data, S3TestSupport.readAll(store.read("big/dst", 0, -1, null)));
      store.updateMetadata("big/dst", Map.of("mode", "33152"));
      assertEquals("33152", store.stat("big/dst").metadata().get("mode"));
      assertArrayEquals(data, S3TestSupport.readAll(store.read("big/dst", 0, -1, null)));
    } finally {
      store.copyLimitOverride = 0;
    }
    assertTrue(store.listUploads("big/").isEmpty());
  }

  @Test
  void copyPartFillsAPartFromAnotherObject() throws Exception {
    byte[] src = S3TestSupport.random(6 * MIB, 8);
    ObjectInfo s = store.put("cp/src", src, Map.of());
    byte[] tail = S3TestSupport.random(1000, 9);
    String id = store.beginUpload("cp/dst", Map.of());
    PartReceipt p1 = store.copyPart("cp/dst", id, 1, "cp/src", s.version(), MIB, 5 * MIB);
    PartReceipt p2 = store.uploadPart("cp/dst", id, 2, ByteBuffer.wrap(tail), S3TestSupport.sha256(tail));
    assertEquals(Kind.PRECONDITION_FAILED, assertThrows(StoreException.class,
        () -> store.copyPart("cp/dst", id, 3, "cp/src", "feedbeef", 0, 10)).kind());
    // S3Proxy reports no checksum for a copied part: the store hashed the range itself.
    assertEquals(S3Meta.hex(S3TestSupport.sha256(Arrays.copyOfRange(src, MIB, 6 * MIB))), p1.sha256Hex());
    assertEquals(Kind.PERMANENT, assertThrows(StoreException.class,
        () -> store.copyPart("cp/dst", id, 4, "cp/src", s.version(), 5 * MIB, 2 * MIB)).kind());
    store.completeUpload("cp/dst", id, List.of(p1, p2));
    byte[] expected = new byte[5 * MIB + 1000];
    System.arraycopy(src, MIB, expected, 0, 5 * MIB);
    System.arraycopy(tail, 0, expected, 5 * MIB, 1000);
    assertArrayEquals(expected, S3TestSupport.readAll(store.read("cp/dst", 0, -1, null)));
  }

  @Test
  void listingsFollowContinuationAcrossSmallPages() throws Exception {
    try (S3Store paged = S3Store.open(server.storeUri(bucket, "paged/"))) {
      paged.pageSizeOverride = 2;
      for (String k : List.of("pg/a", "pg/b", "pg/c", "pg/d", "pg/e", "pg/s1/x", "pg/s2/x", "pg/s3/x")) {
        paged.put(k, new byte[] {1}, Map.of("mode", "33188"));
      }
      Listing l = paged.list("pg/", "/");
      assertEquals(List.of("pg/a", "pg/b", "pg/c", "pg/d", "pg/e"),
          l.objects().stream().map(ObjectInfo::key).toList());
      assertTrue(l.objects().stream().allMatch(o -> "33188".equals(o.metadata().get("mode"))));
      assertEquals(List.of("pg/s1/", "pg/s2/", "pg/s3/"), l.commonPrefixes());
      assertEquals(8, paged.list("pg/", null).objects().size());
      List<String> ids = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        ids.add(paged.beginUpload("pg/up" + i, Map.of()));
      }
      assertEquals(3, paged.listUploads("pg/").size());
      byte[] b = {7};
      for (int n = 1; n <= 3; n++) {
        paged.uploadPart("pg/up0", ids.get(0), n, ByteBuffer.wrap(b), S3TestSupport.sha256(b));
      }
      assertEquals(List.of(1, 2, 3), paged.listParts("pg/up0", ids.get(0)).stream()
          .map(PartReceipt::partNumber).toList());
      assertEquals(3, paged.sweepOrphanUploads(Duration.ZERO));
      assertTrue(paged.listUploads("pg/").isEmpty());
    }
  }

  @Test
  void sweepAbortsOnlyOurOrphans() throws Exception {
    String ours = store.beginUpload("sweep/ours.bin", Map.of());
    String foreign;
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      foreign = raw.createMultipartUpload(b -> b.bucket(bucket).key("pfx/sweep/theirs.bin")).uploadId();
    }
    List<PendingUpload> listed = store.listUploads("sweep/");
    assertEquals(List.of(ours), listed.stream().map(PendingUpload::uploadId).toList());
    assertEquals("sweep/ours.bin", listed.get(0).key());
    assertEquals(0, store.sweepOrphanUploads(Duration.ofHours(1)));
    assertEquals(1, store.listUploads("sweep/").size());
    assertTrue(store.sweepOrphanUploads(Duration.ZERO) >= 1);
    assertTrue(store.listUploads("sweep/").isEmpty());
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      var left = raw.listMultipartUploads(b -> b.bucket(bucket).prefix("pfx/sweep/")).uploads();
      assertEquals(List.of(foreign), left.stream().map(u -> u.uploadId()).toList());
      raw.abortMultipartUpload(b -> b.bucket(bucket).key("pfx/sweep/theirs.bin").uploadId(foreign));
    }
  }

  @Test
  void contentMd5ModeUploadsToo() throws Exception {
    try (S3Store md5 = S3Store.open(java.net.URI.create(server.storeUri(bucket, "md5/") + "&checksum=md5"))) {
      byte[] p1 = S3TestSupport.random(5 * MIB, 10);
      byte[] p2 = S3TestSupport.random(10, 11);
      String id = md5.beginUpload("f", Map.of());
      PartReceipt a = md5.uploadPart("f", id, 1, ByteBuffer.wrap(p1), S3TestSupport.sha256(p1));
      PartReceipt b = md5.uploadPart("f", id, 2, ByteBuffer.wrap(p2), null);
      assertNull(md5.listParts("f", id).get(0).sha256Hex());
      md5.completeUpload("f", id, List.of(a, b));
      assertEquals(5L * MIB + 10, md5.stat("f").size());
      md5.put("small", p2, Map.of());
      assertArrayEquals(p2, S3TestSupport.readAll(md5.read("small", 0, -1, null)));
    }
  }
}

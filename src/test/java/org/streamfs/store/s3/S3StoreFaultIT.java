package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.testing.FaultProxy;
import org.streamfs.testing.S3ProxyServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Faults around a real S3Proxy: a restart in the middle of an upload, wrong credentials, a missing bucket,
 * an unreachable or silent endpoint (one clear error, quickly), throttling and connection resets injected
 * by {@link FaultProxy} (TRANSIENT, so RetryingStore retries them), and the x-amz-mp-object-size probe.
 */
class S3StoreFaultIT {
  private static final int MIB = 1 << 20;
  private static S3ProxyServer server;
  private static String bucket;

  @BeforeAll
  static void start() throws Exception {
    S3ProxyServer.useTestCredentials();
    server = S3ProxyServer.start(); // our own: this class kills and restarts it
    bucket = S3TestSupport.bucketName("faults");
    S3TestSupport.createBucket(server.endpoint(), bucket);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void uploadIdSurvivesAServerCrashAndRestart() throws Exception {
    byte[] p1 = S3TestSupport.random(5 * MIB, 21);
    byte[] p2 = S3TestSupport.random(5 * MIB, 22);
    byte[] p3 = S3TestSupport.random(777, 23);
    try (S3Store store = S3Store.open(server.storeUri(bucket, "crash/"))) {
      String id = store.beginUpload("f.bin", Map.of("mode", "33188"));
      PartReceipt r1 = store.uploadPart("f.bin", id, 1, ByteBuffer.wrap(p1), S3TestSupport.sha256(p1));
      long pid = server.pid();
      server.kill();
      StoreException down = assertThrows(StoreException.class,
          () -> store.uploadPart("f.bin", id, 2, ByteBuffer.wrap(p2), S3TestSupport.sha256(p2)));
      assertEquals(Kind.TRANSIENT, down.kind(), down.getMessage());
      server.restart();
      assertFalse(pid == server.pid());
      List<PartReceipt> held = store.listParts("f.bin", id);
      assertEquals(List.of(1), held.stream().map(PartReceipt::partNumber).toList());
      assertEquals(r1.etag(), held.get(0).etag());
      PartReceipt r2 = store.uploadPart("f.bin", id, 2, ByteBuffer.wrap(p2), S3TestSupport.sha256(p2));
      PartReceipt r3 = store.uploadPart("f.bin", id, 3, ByteBuffer.wrap(p3), S3TestSupport.sha256(p3));
      ObjectInfo done = store.completeUpload("f.bin", id, List.of(r1, r2, r3));
      byte[] all = S3TestSupport.readAll(store.read("f.bin", 0, -1, null));
      assertEquals(done.size(), all.length);
      byte[] expected = new byte[p1.length + p2.length + p3.length];
      System.arraycopy(p1, 0, expected, 0, p1.length);
      System.arraycopy(p2, 0, expected, p1.length, p2.length);
      System.arraycopy(p3, 0, expected, p1.length + p2.length, p3.length);
      assertArrayEquals(expected, all);
    }
  }

  @Test
  void wrongSecretIsOneClearAccessDenied() throws Exception {
    var wrong = StaticCredentialsProvider.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, "nope"));
    try (S3Store store = new S3Store(S3StoreConfig.parse(server.storeUri(bucket, "")), wrong)) {
      long t0 = System.nanoTime();
      StoreException e = assertThrows(StoreException.class, store::checkAccess);
      assertEquals(Kind.ACCESS_DENIED, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("wrong secret key"), e.getMessage());
      assertFalse(e.getMessage().contains("nope"), "message must not contain the secret");
      assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
      assertEquals(Kind.ACCESS_DENIED, assertThrows(StoreException.class, () -> store.stat("x")).kind());
    }
  }

  @Test
  void credentialsFromANamedProfileInTheCredentialsFile(@TempDir Path dir) throws Exception {
    Path creds = dir.resolve("credentials");
    Files.writeString(creds, "[bad]\naws_access_key_id = unknown-key\naws_secret_access_key = x\n\n"
        + "[good]\naws_access_key_id = " + S3ProxyServer.ACCESS_KEY + "\naws_secret_access_key = "
        + S3ProxyServer.SECRET_KEY + "\n");
    String old = System.getProperty("aws.sharedCredentialsFile");
    System.setProperty("aws.sharedCredentialsFile", creds.toString());
    try {
      try (S3Store bad = S3Store.open(URI.create(server.storeUri(bucket, "") + "&profile=bad"))) {
        StoreException e = assertThrows(StoreException.class, bad::checkAccess);
        assertEquals(Kind.ACCESS_DENIED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("unknown access key id"), e.getMessage());
      }
      try (S3Store good = S3Store.open(URI.create(server.storeUri(bucket, "") + "&profile=good"))) {
        good.checkAccess();
      }
    } finally {
      if (old == null) {
        System.clearProperty("aws.sharedCredentialsFile");
      } else {
        System.setProperty("aws.sharedCredentialsFile", old);
      }
    }
  }

  @Test
  void missingBucketIsNamed() throws Exception {
    try (S3Store store = S3Store.open(server.storeUri("no-such-bucket-here", "p/"))) {
      StoreException e = assertThrows(StoreException.class, store::checkAccess);
      assertEquals(Kind.NOT_FOUND, e.kind());
      assertTrue(e.getMessage().contains("bucket 'no-such-bucket-here' does not exist"), e.getMessage());
      StoreException put = assertThrows(StoreException.class, () -> store.put("k", new byte[1], Map.of()));
      assertEquals(Kind.NOT_FOUND, put.kind());
      assertTrue(put.getMessage().contains("bucket does not exist"), put.getMessage());
    }
  }

  @Test
  void unreachableEndpointFailsFastWithOneClearError() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    URI uri = URI.create("s3://" + bucket + "/?endpoint=http://127.0.0.1:" + closed);
    try (S3Store store = S3Store.open(uri)) {
      long t0 = System.nanoTime();
      StoreException e = assertThrows(StoreException.class, store::checkAccess);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(Kind.TRANSIENT, e.kind());
      assertTrue(e.getMessage().contains("cannot reach") && e.getMessage().contains("127.0.0.1:" + closed),
          e.getMessage());
      assertTrue(ms < 5000, "took " + ms + " ms");
    }
  }

  @Test
  void silentEndpointTimesOutInsteadOfHanging() throws Exception {
    try (FaultProxy proxy = new FaultProxy(server.endpoint())) {
      proxy.failNext(r -> true, FaultProxy.Fault.BLACKHOLE);
      URI uri = URI.create("s3://" + bucket + "/?endpoint=" + proxy.endpoint() + "&socket-timeout=1");
      try (S3Store store = S3Store.open(uri)) {
        long t0 = System.nanoTime();
        StoreException e = assertThrows(StoreException.class, () -> store.stat("x"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
        assertTrue(ms < 5000, "took " + ms + " ms");
      }
    }
  }

  @Test
  void throttlingAndResetsAreTransientThenTheNextCallWorks() throws Exception {
    try (FaultProxy proxy = new FaultProxy(server.endpoint());
        S3Store store = S3Store.open(URI.create("s3://" + bucket + "/thr/?endpoint=" + proxy.endpoint()))) {
      store.put("a", new byte[] {42}, Map.of());
      proxy.failNext(r -> r.method().equals("GET"), FaultProxy.Fault.SLOW_DOWN);
      StoreException slow = assertThrows(StoreException.class, () -> store.read("a", 0, -1, null));
      assertEquals(Kind.TRANSIENT, slow.kind());
      assertTrue(slow.getMessage().contains("SlowDown"), slow.getMessage());
      proxy.failNext(r -> r.method().equals("PUT"), FaultProxy.Fault.SLOW_DOWN);
      assertEquals(Kind.TRANSIENT,
          assertThrows(StoreException.class, () -> store.put("b", new byte[100], Map.of())).kind());
      proxy.failNext(r -> r.method().equals("HEAD"), FaultProxy.Fault.RESET);
      StoreException reset = assertThrows(StoreException.class, () -> store.stat("a"));
      assertEquals(Kind.TRANSIENT, reset.kind(), reset.getMessage());
      assertTrue(reset.retryable());
      String id = store.beginUpload("m", Map.of());
      byte[] p = S3TestSupport.random(2000, 24);
      proxy.failNext(r -> r.target().contains("partNumber="), FaultProxy.Fault.RESET);
      assertEquals(Kind.TRANSIENT, assertThrows(StoreException.class,
          () -> store.uploadPart("m", id, 1, ByteBuffer.wrap(p), S3TestSupport.sha256(p))).kind());
      PartReceipt r = store.uploadPart("m", id, 1, ByteBuffer.wrap(p), S3TestSupport.sha256(p));
      store.completeUpload("m", id, List.of(r));
      assertArrayEquals(p, S3TestSupport.readAll(store.read("m", 0, -1, null)));
      assertArrayEquals(new byte[] {42}, S3TestSupport.readAll(store.read("a", 0, -1, null)));
    }
  }

  @Test
  void aRetriedCompleteWhoseFirstAnswerWasLostSucceeds() throws Exception {
    byte[] p1 = S3TestSupport.random(5 * MIB, 26);
    byte[] p2 = S3TestSupport.random(100, 27);
    try (FaultProxy proxy = new FaultProxy(server.endpoint());
        S3Store store = S3Store.open(URI.create("s3://" + bucket + "/lost/?endpoint=" + proxy.endpoint()
            + "&mp-object-size=false"))) {
      String id = store.beginUpload("k", Map.of("mode", "33188"));
      List<PartReceipt> parts = List.of(
          store.uploadPart("k", id, 1, ByteBuffer.wrap(p1), S3TestSupport.sha256(p1)),
          store.uploadPart("k", id, 2, ByteBuffer.wrap(p2), S3TestSupport.sha256(p2)));
      proxy.failNext(r -> r.method().equals("POST") && r.target().contains("uploadId="),
          FaultProxy.Fault.LOSE_RESPONSE);
      StoreException lost = assertThrows(StoreException.class, () -> store.completeUpload("k", id, parts));
      assertEquals(Kind.TRANSIENT, lost.kind(), lost.getMessage());
      try (var raw = S3TestSupport.rawClient(server.endpoint())) {
        assertTrue(raw.listMultipartUploads(b -> b.bucket(bucket).prefix("lost/k")).uploads().isEmpty(),
            "the server did complete: the upload is gone");
      }
      ObjectInfo done = store.completeUpload("k", id, parts); // what RetryingStore does next
      assertEquals(p1.length + p2.length, done.size());
      assertEquals("33188", done.metadata().get("mode"));
      assertTrue(store.listUploads("").isEmpty());
      // A complete of an upload that never existed is still NOT_FOUND.
      assertEquals(Kind.NOT_FOUND, assertThrows(StoreException.class,
          () -> store.completeUpload("k", "no-such-upload", List.of(parts.get(0)))).kind());
    }
  }

  @Test
  void mpObjectSizeIsDroppedOnlyAfterTheEndpointRejectsIt() throws Exception {
    byte[] p = S3TestSupport.random(3000, 25);
    try (FaultProxy proxy = new FaultProxy(server.endpoint());
        S3Store store = S3Store.open(URI.create("s3://" + bucket + "/mp/?endpoint=" + proxy.endpoint()))) {
      for (String key : List.of("one", "two")) {
        String id = store.beginUpload(key, Map.of());
        PartReceipt r = store.uploadPart(key, id, 1, ByteBuffer.wrap(p), S3TestSupport.sha256(p));
        assertEquals(p.length, store.completeUpload(key, id, List.of(r)).size());
      }
      List<FaultProxy.Request> completes = proxy.requests().stream()
          .filter(r -> r.method().equals("POST") && r.target().contains("uploadId=")).toList();
      assertEquals(3, completes.size(), completes.toString());
      assertEquals("3000", completes.get(0).headers().get(S3Clients.MP_OBJECT_SIZE_HEADER));
      assertFalse(completes.get(1).headers().containsKey(S3Clients.MP_OBJECT_SIZE_HEADER));
      assertFalse(completes.get(2).headers().containsKey(S3Clients.MP_OBJECT_SIZE_HEADER));
    }
    // Forced on: the 501 is reported, not worked around.
    try (S3Store on = S3Store.open(URI.create(server.storeUri(bucket, "mpon/") + "&mp-object-size=true"))) {
      String id = on.beginUpload("k", Map.of());
      PartReceipt r = on.uploadPart("k", id, 1, ByteBuffer.wrap(p), S3TestSupport.sha256(p));
      StoreException e = assertThrows(StoreException.class, () -> on.completeUpload("k", id, List.of(r)));
      assertEquals(Kind.PERMANENT, e.kind());
      assertTrue(e.getMessage().contains("501"), e.getMessage());
      on.abortUpload("k", id);
    }
    // Forced off: never sent.
    try (FaultProxy proxy = new FaultProxy(server.endpoint());
        S3Store off = S3Store.open(URI.create("s3://" + bucket + "/mpoff/?endpoint=" + proxy.endpoint()
            + "&mp-object-size=false"))) {
      String id = off.beginUpload("k", Map.of());
      PartReceipt r = off.uploadPart("k", id, 1, ByteBuffer.wrap(p), S3TestSupport.sha256(p));
      off.completeUpload("k", id, List.of(r));
      assertTrue(proxy.requests().stream().noneMatch(
          q -> q.headers().containsKey(S3Clients.MP_OBJECT_SIZE_HEADER)));
    }
  }
}

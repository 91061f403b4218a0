package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoredManifest;
import org.streamfs.testing.S3ProxyServer;
import org.streamfs.transfer.Namespace;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The manifest in an S3 store: an upload leaves a hidden sidecar naming the ETag it vouches for; a machine
 * with a fresh state dir reads verified and refuses bit rot in S3Proxy's backing file (exit 5 for
 * {@code get}: a ChecksumMismatchException); a rename (copy, new ETag) carries it; an overwrite by another
 * S3 client is read unverified.
 */
class S3ManifestIT {
  private static final int MIB = 1 << 20;
  private static S3ProxyServer server;
  private static String bucket;
  private static S3Store store;
  @TempDir
  Path tmp;
  private int states;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.shared();
    bucket = S3TestSupport.bucketName("manifest");
    S3TestSupport.createBucket(server.endpoint(), bucket);
    store = S3Store.open(server.storeUri(bucket, "pfx/"));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  /** Runs {@code body} on an engine over the store with a state dir of its own (a fresh machine). */
  private <T> T onFreshMachine(EngineCall<T> body) throws Exception {
    StreamingConfig cfg = StreamingConfig.builder().chunkSizeBytes(5L * MIB).maxRetries(1)
        .retryDelay(Duration.ofMillis(5)).timeout(Duration.ofSeconds(60)).build();
    try (Catalog c = Catalog.open(tmp.resolve("state-" + (states++)));
        StreamingManager m = new StreamingManager(store, c, cfg)) {
      return body.run(m);
    }
  }

  @FunctionalInterface
  private interface EngineCall<T> {
    T run(StreamingManager m) throws Exception;
  }

  private Path backingFile(String key) {
    return server.dataDir().resolve(bucket).resolve("pfx").resolve(key);
  }

  @Test
  void aFreshStateDirVerifiesAndRefusesBitRot() throws Exception {
    byte[] data = S3TestSupport.random(12 * MIB + 77, 5);
    Path src = Files.write(tmp.resolve("src.bin"), data);
    onFreshMachine(m -> m.uploadFile(src, "docs/a.bin", null, Map.of()));
    ObjectInfo o = store.stat("docs/a.bin");
    StoredManifest sm = store.readManifest("docs/a.bin");
    assertNotNull(sm);
    assertTrue(sm.vouchesFor(o), sm.version() + " vs " + o.version());
    assertEquals(3, sm.chunkSha256().size());
    assertFalse(store.list("", null).objects().stream().anyMatch(i -> i.key().contains(".streamfs")),
        "the sidecar is hidden from listings");

    Path back = tmp.resolve("back.bin");
    onFreshMachine(m -> m.downloadFile("docs/a.bin", back, null));
    assertArrayEquals(data, Files.readAllBytes(back));

    // rename through another fresh machine: a copy gets a new ETag, the manifest follows it
    onFreshMachine(m -> {
      new Namespace(m).rename("docs/a.bin", "docs/b.bin");
      return null;
    });
    ObjectInfo b = store.stat("docs/b.bin");
    assertTrue(store.readManifest("docs/b.bin").vouchesFor(b));
    assertNull(store.readManifest("docs/a.bin"), "the old key's manifest is gone");

    Path file = backingFile("docs/b.bin");
    assertTrue(Files.isRegularFile(file), "S3Proxy's file for the object: " + file);
    FileTime mtime = Files.getLastModifiedTime(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(6L * MIB + 3);
      int x = f.read();
      f.seek(6L * MIB + 3);
      f.write(x ^ 0x40);
    }
    Files.setLastModifiedTime(file, mtime);
    assertEquals(b.version(), store.stat("docs/b.bin").version(), "the server still reports the ETag it stored");
    ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
        () -> onFreshMachine(m -> m.downloadFile("docs/b.bin", tmp.resolve("rotten.bin"), null)));
    assertEquals("docs/b.bin", e.object());
    assertEquals(1, e.chunkIndex());
    assertFalse(Files.exists(tmp.resolve("rotten.bin")), "no wrong bytes left behind");

    java.util.List<org.streamfs.transfer.Scrubber.Finding> found = new java.util.ArrayList<>();
    org.streamfs.transfer.Scrubber.Summary s = new org.streamfs.transfer.Scrubber(store, 0).run("docs/", found::add);
    assertEquals(1, s.corrupt(), found.toString());
    assertEquals(java.util.List.of(1), found.stream()
        .filter(f -> f.kind() == org.streamfs.transfer.Scrubber.Kind.CORRUPT).findFirst().orElseThrow().badChunks());
  }

  @Test
  void anOverwriteByAnotherClientIsReadUnverified() throws Exception {
    byte[] data = S3TestSupport.random(6 * MIB, 8);
    Path src = Files.write(tmp.resolve("src.bin"), data);
    onFreshMachine(m -> m.uploadFile(src, "c.bin", null, Map.of()));
    byte[] other = S3TestSupport.random(6 * MIB, 9);
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      raw.putObject(r -> r.bucket(bucket).key("pfx/c.bin"), RequestBody.fromBytes(other));
    }
    Path back = tmp.resolve("c-back.bin");
    boolean verifiable = onFreshMachine(m -> {
      m.downloadFile("c.bin", back, null);
      return m.manifest(store.stat("c.bin")).verifiable();
    });
    assertFalse(verifiable, "the manifest names the old ETag");
    assertArrayEquals(other, Files.readAllBytes(back));
    java.util.List<String> found = new java.util.ArrayList<>();
    new org.streamfs.transfer.Scrubber(store, 0).run("c.bin", f -> found.add(f.kind() + " " + f.key()));
    found.sort(null);
    assertEquals(java.util.List.of("ORPHAN_MANIFEST c.bin", "UNVERIFIED c.bin"), found);
  }

  @Test
  void sidecarsRoundTripAndList() throws IOException {
    StoredManifest m = new StoredManifest("x/y.bin", "\"etag-1\"", 10, 4,
        java.util.List.of("a".repeat(64), "b".repeat(64), "c".repeat(64)), null);
    store.writeManifest(m);
    assertEquals(m, store.readManifest("x/y.bin"));
    assertTrue(store.listManifestIds().contains(StoredManifest.sidecarId("x/y.bin")));
    store.deleteManifest("x/y.bin");
    assertNull(store.readManifest("x/y.bin"));
    store.deleteManifest("x/y.bin"); // absent is fine
  }
}

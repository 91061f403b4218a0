package org.streamfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;

/** The contract on {@link LocalStore}, plus what only a directory store can show: bytes on disk, symlinks. */
class LocalStoreTest extends ObjectStoreContract {
  static {
    // what the CLI and the mount install at start: holes found with lseek(SEEK_DATA)
    org.streamfs.store.local.Holes.use(org.streamfs.fs.fuse.SeekData::firstData);
  }

  @TempDir
  Path tmp;

  Path root;

  @Override
  protected ObjectStore newStore() throws Exception {
    root = tmp.resolve("store");
    return LocalStore.open(root, true);
  }

  @Test
  void rootIsCreated0700AndBookkeepingIsHidden() throws Exception {
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
    String up = store.beginUpload("k", Map.of());
    part("k", up, 1, data(10, 1));
    assertTrue(Files.isDirectory(root.resolve(".streamfs-uploads").resolve(up)));
    assertTrue(Files.exists(root.resolve(".streamfs-uploads").resolve(up).resolve("part-00001")));
    Listing all = store.list("", null);
    assertTrue(all.objects().isEmpty(), all.toString());
    assertTrue(store.list("", "/").commonPrefixes().isEmpty());
    assertTrue(store.list(".s", "/").commonPrefixes().isEmpty());
  }

  @Test
  void manifestSidecarsAreHiddenReservedAndNamedByTheKeysHash() throws Exception {
    ObjectInfo o = store.put("docs/a.bin", data(10, 2), Map.of());
    org.streamfs.store.StoredManifest m = new org.streamfs.store.StoredManifest("docs/a.bin", o.version(), 10,
        4, java.util.List.of("a".repeat(64), "b".repeat(64), "c".repeat(64)), null);
    store.writeManifest(m);
    assertEquals(m, store.readManifest("docs/a.bin"));
    assertTrue(m.vouchesFor(store.stat("docs/a.bin")));
    String id = org.streamfs.store.StoredManifest.sidecarId("docs/a.bin");
    assertTrue(Files.isRegularFile(root.resolve(".streamfs-manifests").resolve(id.substring(0, 2)).resolve(id)));
    assertEquals(java.util.List.of("docs/a.bin"), store.list("", null).objects().stream()
        .map(ObjectInfo::key).filter(k -> !k.endsWith("/")).toList(), "the sidecar is not an object");
    assertTrue(store.list("", "/").commonPrefixes().stream().noneMatch(p -> p.startsWith(".streamfs")));
    assertEquals(StoreException.Kind.INVALID_KEY, org.junit.jupiter.api.Assertions.assertThrows(
        StoreException.class, () -> store.stat(".streamfs-manifests/" + id.substring(0, 2) + "/" + id)).kind());
    assertEquals(null, store.readManifestById("../../etc/passwd"), "ids are hashes, never paths");
    assertEquals(java.util.List.of(id), store.listManifestIds());
    // a new version of the object: the old manifest no longer vouches for it
    assertTrue(!m.vouchesFor(store.put("docs/a.bin", data(10, 3), Map.of())));
    store.deleteManifest("docs/a.bin");
    assertEquals(null, store.readManifest("docs/a.bin"));
    assertTrue(store.listManifestIds().isEmpty());
  }

  /** Blocks of 512 bytes the file takes on disk (stat %b). */
  private static long blocks(Path p) throws Exception {
    Process pr = new ProcessBuilder("stat", "-c", "%b", p.toString()).start();
    String out = new String(pr.getInputStream().readAllBytes()).trim();
    pr.waitFor();
    return Long.parseLong(out);
  }

  @Test
  void holesStayHolesWhenPartsAreZerosOrCopiedFromAHole() throws Exception {
    int chunk = 8 << 20;
    String up = store.beginUpload("sparse", Map.of());
    part("sparse", up, 1, new byte[chunk]);
    part("sparse", up, 2, data(chunk, 3));
    part("sparse", up, 3, new byte[chunk]);
    part("sparse", up, 4, data(100, 4));
    store.completeUpload("sparse", up, store.listParts("sparse", up));
    Path first = root.resolve("sparse");
    assertTrue(blocks(first) * 512 < 2L * chunk, "zero parts left holes: " + blocks(first) + " blocks");
    // a new version copying every chunk from it, the data chunk rewritten: still sparse, same bytes
    String up2 = store.beginUpload("sparse", Map.of());
    String v = store.stat("sparse").version();
    for (int i = 0; i < 3; i++) {
      store.copyPart("sparse", up2, i + 1, "sparse", v, (long) i * chunk, chunk);
    }
    store.copyPart("sparse", up2, 4, "sparse", v, 3L * chunk, 100);
    store.completeUpload("sparse", up2, store.listParts("sparse", up2));
    byte[] want = new byte[3 * chunk + 100];
    System.arraycopy(data(chunk, 3), 0, want, chunk, chunk);
    System.arraycopy(data(100, 4), 0, want, 3 * chunk, 100);
    assertTrue(java.util.Arrays.equals(want, Files.readAllBytes(first)), "copied bytes differ");
    assertTrue(blocks(first) * 512 < 2L * chunk, "copies of holes left holes: " + blocks(first) + " blocks");
  }

  @Test
  void partsHoldingAFewBytesLeaveTheirZeroBlocksAsHoles() throws Exception {
    int chunk = 8 << 20;
    java.util.Random rnd = new java.util.Random(7);
    byte[] dense = data(chunk, 5);
    byte[] few = new byte[chunk];
    for (int at : new int[] {0, 100_000, 4 << 20, chunk - 10}) {
      for (int i = 0; i < 10 && at + i < chunk; i++) {
        few[at + i] = (byte) (1 + rnd.nextInt(255));
      }
    }
    String up = store.beginUpload("few", Map.of());
    part("few", up, 1, dense);
    part("few", up, 2, few);
    // part 1 sent again (a chunk rewritten during the upload): now mostly zeros where its slot held data
    part("few", up, 1, few);
    store.completeUpload("few", up, store.listParts("few", up));
    Path p = root.resolve("few");
    byte[] want = new byte[2 * chunk];
    System.arraycopy(few, 0, want, 0, chunk);
    System.arraycopy(few, 0, want, chunk, chunk);
    assertTrue(java.util.Arrays.equals(want, Files.readAllBytes(p)), "bytes differ");
    // part 2's zero blocks were never written; part 1's old data may stay allocated (it reads as zeros)
    assertTrue(blocks(p) * 512 < chunk + (1 << 20), "sparse part written whole: " + blocks(p) + " blocks");
  }

  /**
   * Seeded random parts mixing zero and data blocks, of a length that is no multiple of the block size (a
   * file whose first part sent was its last, shorter one sets the slab's slot to that length), each sent
   * again now and then with other content, as a rewritten chunk is: the object holds exactly the last bytes
   * sent for each part.
   */
  @Test
  void sparsePartsOfAnyLengthRewrittenAtRandomKeepTheirLastBytes() throws Exception {
    for (long seed = 1; seed <= 12; seed++) {
      java.util.Random rnd = new java.util.Random(seed);
      String key = "rnd" + seed;
      int parts = 1 + rnd.nextInt(4);
      int len = (1 << 20) + 1 + rnd.nextInt(1 << 20);
      byte[][] sent = new byte[parts][];
      String up = store.beginUpload(key, Map.of());
      for (int round = 0; round < 3 * parts; round++) {
        int n = rnd.nextInt(parts);
        byte[] b = new byte[len];
        for (int at = 0; at < len; at += 16384) {
          int kind = rnd.nextInt(4); // zeros, data, or one byte
          if (kind == 1) {
            byte[] d = new byte[Math.min(16384, len - at)];
            rnd.nextBytes(d);
            System.arraycopy(d, 0, b, at, d.length);
          } else if (kind == 2) {
            b[Math.min(len - 1, at + rnd.nextInt(16384))] = (byte) (1 + rnd.nextInt(255));
          }
        }
        if (rnd.nextBoolean()) {
          b[len - 1] = 7; // data in the very last byte, in the part's last, shorter block
        }
        part(key, up, n + 1, b);
        sent[n] = b;
      }
      for (int n = 0; n < parts; n++) {
        if (sent[n] == null) {
          sent[n] = new byte[len];
          part(key, up, n + 1, sent[n]);
        }
      }
      store.completeUpload(key, up, store.listParts(key, up));
      byte[] got = Files.readAllBytes(root.resolve(key));
      byte[] want = concat(sent);
      assertEquals(want.length, got.length, "seed " + seed);
      assertEquals(-1, java.util.Arrays.mismatch(want, got), "seed " + seed + ": first difference");
    }
  }

  @Test
  void keysLongerThanPathMaxWorkThroughLinks() throws Exception {
    assertEquals(16 << 10, store.limits().maxKeyBytes());
    StringBuilder dir = new StringBuilder();
    for (int i = 0; i < 30; i++) { // 30 segments of 255 bytes: a 7,680-byte key, twice PATH_MAX
      dir.append(Character.toString('a' + i % 26).repeat(255)).append('/');
    }
    String key = dir + "object";
    store.put(key, data(100, 1), Map.of("mode", "33188"));
    assertEquals(100, store.stat(key).size());
    assertEquals("33188", store.stat(key).metadata().get("mode"));
    try (var in = store.read(key, 0, -1, null)) {
      assertArrayEquals(data(100, 1), in.readAllBytes());
    }
    assertEquals(List.of(key), store.list(dir.toString(), "/").objects().stream().map(ObjectInfo::key).toList());
    assertTrue(store.list(dir.substring(0, 256), null).objects().stream().anyMatch(o -> o.key().equals(key)));
    String moved = dir + "moved";
    store.moveInPlace(key, moved);
    assertKind(Kind.NOT_FOUND, () -> store.stat(key));
    store.updateMetadata(moved, Map.of("mode", "33261"));
    assertEquals("33261", store.stat(moved).metadata().get("mode"));
    String up = store.beginUpload(key, Map.of());
    part(key, up, 1, data(10, 2));
    store.completeUpload(key, up, store.listParts(key, up));
    assertEquals(10, store.stat(key).size());
    // a directory on the way renamed: the links hold paths, so the old path is gone and the new one works
    assertTrue(store.movePrefixInPlace(dir.substring(0, 256), "renamed/"));
    assertKind(Kind.NOT_FOUND, () -> store.stat(key));
    assertEquals(10, store.stat("renamed/" + dir.substring(256) + "object").size());
    store.delete("renamed/" + dir.substring(256) + "object");
    assertKind(Kind.NOT_FOUND, () -> store.stat("renamed/" + dir.substring(256) + "object"));
    assertTrue(store.list("", "/").commonPrefixes().stream().noneMatch(p -> p.startsWith(".streamfs")));
    new ProcessBuilder("rm", "-rf", root.resolve("renamed").toString()).start().waitFor();
  }

  @Test
  void bytesOnDiskAreExactlyTheObject() throws Exception {
    String key = "docs/report.pdf";
    String up = store.beginUpload(key, Map.of("mode", "33188"));
    part(key, up, 1, data(1000, 1));
    part(key, up, 2, data(500, 2));
    store.completeUpload(key, up, store.listParts(key, up));
    assertArrayEquals(concat(data(1000, 1), data(500, 2)), Files.readAllBytes(root.resolve("docs/report.pdf")));
    store.put("small.txt", "hello\n".getBytes(StandardCharsets.UTF_8), Map.of());
    assertEquals("hello\n", Files.readString(root.resolve("small.txt")));
    store.put("dir/", new byte[0], Map.of());
    assertTrue(Files.isDirectory(root.resolve("dir")));
  }

  @Test
  void filesPlacedByOtherToolsAreListedAndReadable() throws Exception {
    Files.createDirectories(root.resolve("imported/sub"));
    Files.writeString(root.resolve("imported/a.txt"), "alpha");
    Files.writeString(root.resolve("imported/sub/b.txt"), "beta");
    Files.writeString(root.resolve("imported/bad\\name"), "unaddressable");
    Listing l = store.list("imported/", "/");
    assertEquals(List.of("imported/a.txt"), l.objects().stream().map(ObjectInfo::key).toList());
    assertEquals(List.of("imported/sub/"), l.commonPrefixes());
    assertEquals("beta", new String(read("imported/sub/b.txt"), StandardCharsets.UTF_8));
    ObjectInfo st = store.stat("imported/a.txt");
    assertEquals(5, st.size());
    assertTrue(st.metadata().isEmpty());

    Files.writeString(root.resolve("imported/a.txt"), "ALPHA!");
    assertNotEquals(st.version(), store.stat("imported/a.txt").version(), "in-place rewrite changes version");
    String v = store.stat("imported/a.txt").version();
    Files.setLastModifiedTime(root.resolve("imported/a.txt"), FileTime.fromMillis(1_000_000));
    assertNotEquals(v, store.stat("imported/a.txt").version());
  }

  @Test
  void symlinkEscapingTheRootIsRefused() throws Exception {
    Path outside = tmp.resolve("outside");
    Files.createDirectories(outside);
    Files.writeString(outside.resolve("secret"), "secret");
    Files.createSymbolicLink(root.resolve("link"), outside);
    Files.createSymbolicLink(root.resolve("filelink"), outside.resolve("secret"));
    assertKind(Kind.INVALID_KEY, () -> store.stat("link/secret"));
    assertKind(Kind.INVALID_KEY, () -> store.read("link/secret", 0, -1, null).close());
    assertKind(Kind.INVALID_KEY, () -> store.read("filelink", 0, -1, null).close());
    assertKind(Kind.INVALID_KEY, () -> store.put("link/new", data(3, 1), Map.of()));
    assertKind(Kind.INVALID_KEY, () -> store.put("link/deeper/new", data(3, 1), Map.of()));
    store.put("ok", data(3, 1), Map.of());
    assertKind(Kind.INVALID_KEY, () -> store.copy("ok", "link/x"));
    store.delete("ok");
    assertFalse(Files.exists(outside.resolve("new")));
    assertFalse(Files.exists(outside.resolve("deeper")));
    Listing l = store.list("", "/");
    assertTrue(l.objects().isEmpty() && l.commonPrefixes().isEmpty(), "escaping links are not listed: " + l);
  }

  @Test
  void symlinkInsideTheRootIsFollowed() throws Exception {
    store.put("real/f", data(5, 1), Map.of());
    Files.createSymbolicLink(root.resolve("alias"), root.resolve("real"));
    assertArrayEquals(data(5, 1), read("alias/f"));
  }

  @Test
  void missingRootGivesAClearError() throws Exception {
    Path missing = tmp.resolve("no-such-dir");
    StoreException e = assertKind(Kind.NOT_FOUND, () -> LocalStore.open(missing, false));
    assertTrue(e.getMessage().contains("store directory does not exist: " + missing), e.getMessage());
    Files.walk(root).sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    StoreException gone = assertKind(Kind.NOT_FOUND, () -> store.checkAccess());
    assertTrue(gone.getMessage().contains("store directory does not exist"), gone.getMessage());
    assertKind(Kind.NOT_FOUND, () -> store.put("x", data(1, 1), Map.of()));
  }

  @Test
  void nonEmptyMarkerIsNotDeleted() throws Exception {
    store.put("d/", new byte[0], Map.of());
    store.put("d/f", data(2, 1), Map.of());
    StoreException e = assertKind(Kind.PERMANENT, () -> store.delete("d/"));
    assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    assertEquals(2, store.stat("d/f").size());
  }

  @Test
  void completeNeverShowsAPartialFile() throws Exception {
    String key = "atomic/big";
    store.put(key, data(10, 9), Map.of());
    long inode = (Long) Files.getAttribute(root.resolve(key), "unix:ino");
    String up = store.beginUpload(key, Map.of());
    for (int i = 1; i <= 4; i++) {
      part(key, up, i, data(100_000, i));
    }
    assertArrayEquals(data(10, 9), Files.readAllBytes(root.resolve(key)), "old object intact during upload");
    store.completeUpload(key, up, store.listParts(key, up));
    long after = (Long) Files.getAttribute(root.resolve(key), "unix:ino");
    assertNotEquals(inode, after, "completion renames a new file in place; it never writes into the old one");
    assertEquals(400_000, Files.size(root.resolve(key)));
    try (Stream<Path> s = Files.list(root.resolve(".streamfs-tmp"))) {
      assertEquals(0, s.count(), "no temp files left behind");
    }
    assertFalse(Files.exists(root.resolve(".streamfs-uploads").resolve(up)));
  }

  @Test
  void readersNeverSeeAMixDuringConcurrentOverwrites() throws Exception {
    byte[] a = data(256 * 1024, 1);
    byte[] b = data(256 * 1024, 2);
    store.put("hot", a, Map.of());
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 40; i++) {
          store.put("hot", i % 2 == 0 ? b : a, Map.of());
        }
      } catch (StoreException e) {
        throw new RuntimeException(e);
      } finally {
        stop.set(true);
      }
    });
    writer.start();
    int reads = 0;
    while (!stop.get() || reads == 0) {
      byte[] got = Files.readAllBytes(root.resolve("hot"));
      assertTrue(java.util.Arrays.equals(got, a) || java.util.Arrays.equals(got, b),
          "read " + got.length + " bytes that are neither version");
      reads++;
    }
    writer.join();
    assertTrue(reads > 0);
  }

  @Test
  void unreadableUploadDescriptorDoesNotBreakListing() throws Exception {
    String good = store.beginUpload("g", Map.of());
    Path bad = root.resolve(".streamfs-uploads/0123456789abcdef0123456789abcdef");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve("upload.json"), "{not json");
    List<PendingUpload> ups = store.listUploads("");
    assertEquals(1, ups.size());
    assertEquals(good, ups.get(0).uploadId());
  }

  @Test
  void uploadIdsCannotEscapeTheUploadArea() {
    byte[] b = data(3, 1);
    assertKind(Kind.NOT_FOUND, () -> store.uploadPart("k", "../../x", 1, ByteBuffer.wrap(b), Sha256.digest(b)));
    assertKind(Kind.NOT_FOUND, () -> store.listParts("k", "../.."));
  }

  @Test
  void uploadIsBoundToItsKey() throws Exception {
    String up = store.beginUpload("a", Map.of());
    assertKind(Kind.NOT_FOUND, () -> store.listParts("b", up));
    store.abortUpload("b", up);
    assertEquals(1, store.listUploads("").size(), "aborting under another key does nothing");
  }

  @Test
  void fileInTheWayOfADirectoryIsAClearError() throws Exception {
    store.put("f", data(3, 1), Map.of());
    StoreException e = assertKind(Kind.PERMANENT, () -> store.put("f/g", data(3, 1), Map.of()));
    assertTrue(e.getMessage().contains("in the way"), e.getMessage());
    store.put("d/", new byte[0], Map.of());
    assertKind(Kind.PERMANENT, () -> store.put("d", data(3, 1), Map.of()));
  }

  @Test
  void metadataIsStoredAsUserXattrs() throws Exception {
    store.put("x", data(3, 1), Map.of("mode", "33188"));
    var view = Files.getFileAttributeView(root.resolve("x"),
        java.nio.file.attribute.UserDefinedFileAttributeView.class);
    assertTrue(view.list().contains("streamfs.m.mode"), view.list().toString());
  }

  @Test
  void fullDiskIsNoSpace() throws Exception {
    Path small = tmp.resolve("small");
    Files.createDirectories(small);
    org.streamfs.testing.Require.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", small.toString()),
        "cannot mount a tmpfs (not root?)");
    try (ObjectStore s = LocalStore.open(small.resolve("store"), true)) {
      StoreException e = assertKind(Kind.NO_SPACE, () -> s.put("big", data(1 << 20, 1), Map.of()));
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      String up = s.beginUpload("big", Map.of());
      byte[] b = data(1 << 20, 2);
      assertKind(Kind.NO_SPACE, () -> s.uploadPart("big", up, 1, ByteBuffer.wrap(b), Sha256.digest(b)));
      assertKind(Kind.NOT_FOUND, () -> s.stat("big"));
      try (Stream<Path> t = Files.list(small.resolve("store/.streamfs-tmp"))) {
        assertEquals(0, t.count(), "the failed temp files are removed");
      }
      s.put("fits", data(1000, 3), Map.of());
      assertArrayEquals(data(1000, 3), Files.readAllBytes(small.resolve("store/fits")));
    } finally {
      assertTrue(run("umount", small.toString()), "umount " + small);
    }
  }

  @Test
  void readOnlyRootIsAccessDeniedButReadable() throws Exception {
    Path ro = tmp.resolve("ro");
    Files.createDirectories(ro.resolve("store"));
    Files.writeString(ro.resolve("store/old.txt"), "kept");
    org.streamfs.testing.Require.assumeTrue(run("mount", "--bind", "-o", "ro", ro.toString(), ro.toString()),
        "cannot bind-mount read-only (not root?)");
    try {
      org.streamfs.testing.Require.assumeTrue(run("mount", "-o", "remount,bind,ro", ro.toString()), "cannot remount read-only");
      try (ObjectStore s = LocalStore.open(ro.resolve("store"), false)) {
        assertEquals("kept", new String(read(s, "old.txt"), StandardCharsets.UTF_8));
        StoreException e = assertKind(Kind.ACCESS_DENIED, s::checkAccess);
        assertTrue(e.getMessage().contains("Read-only file system"), e.getMessage());
        assertKind(Kind.ACCESS_DENIED, () -> s.put("new", data(3, 1), Map.of()));
      }
    } finally {
      assertTrue(run("umount", ro.toString()), "umount " + ro);
    }
  }

  private static byte[] read(ObjectStore s, String key) throws Exception {
    try (var in = s.read(key, 0, -1, null)) {
      return in.readAllBytes();
    }
  }

  private static boolean run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    return p.waitFor() == 0;
  }

  @Test
  void aPublishWaitsForAnotherProcessHoldingThePublishLock() throws Exception {
    store.put("k", new byte[] {1}, Map.of());
    // another process (a second daemon on this store) holds the lock for a while: POSIX fcntl locks, as
    // FileChannel.lock takes them
    Process other = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
        + "f = open(sys.argv[1], 'a')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\n"
        + "time.sleep(1.5)\n", root.resolve(".streamfs-publish.lock").toString()).start();
    try {
      assertEquals("locked", new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream()))
          .readLine());
      long t0 = System.nanoTime();
      ObjectInfo v = store.put("k", new byte[] {2}, Map.of(), Expect.ANY);
      long waited = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(waited >= 800, "the publish did not wait for the other process's lock: " + waited + " ms");
      assertEquals(v.version(), store.stat("k").version());
    } finally {
      other.destroyForcibly();
      other.waitFor();
    }
    assertFalse(store.list("", "/").objects().stream().anyMatch(o -> o.key().contains("publish")),
        "the lock file is not an object");
  }
}

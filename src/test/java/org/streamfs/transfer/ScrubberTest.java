package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.local.LocalStore;

/**
 * A scrub judges what the store holds against the manifests the store keeps: bit rot is reported with its
 * chunk indexes, an object another tool wrote as without a manifest, a sidecar whose object was replaced or
 * removed behind streamfs's back as an orphan; a prefix limits all of it.
 */
class ScrubberTest {
  static final int CHUNK = 4096;
  @TempDir
  Path tmp;
  LocalStore store;

  @BeforeEach
  void fill() throws IOException {
    store = LocalStore.open(tmp.resolve("store"), true);
    Path src = EngineFixture.randomFile(tmp.resolve("src.bin"), 8 * CHUNK + 9, 3);
    try (Catalog c = Catalog.open(tmp.resolve("state"));
        StreamingManager m = EngineFixture.manager(store, c, EngineFixture.fast().chunkSizeBytes(CHUNK).build())) {
      for (String key : List.of("a/good.bin", "a/rot.bin", "a/replaced.bin", "a/gone.bin", "b/rot.bin")) {
        m.uploadFile(src, key, null, Map.of());
      }
    }
    flip("a/rot.bin", 2L * CHUNK + 1);
    flip("a/rot.bin", 7L * CHUNK);
    flip("b/rot.bin", 0);
    Path replaced = store.root().resolve("a/replaced.bin");
    Files.write(replaced, new byte[100]);
    Files.writeString(store.root().resolve("a/foreign.txt"), "written by another tool");
    Files.delete(store.root().resolve("a/gone.bin"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private void flip(String key, long at) throws IOException {
    Path p = store.root().resolve(key);
    FileTime mtime = Files.getLastModifiedTime(p);
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(~b);
    }
    Files.setLastModifiedTime(p, mtime);
  }

  private List<String> scrub(String prefix, Scrubber.Summary[] out) throws IOException {
    List<String> found = new ArrayList<>();
    out[0] = new Scrubber(store, 0).run(prefix, f -> found.add(f.kind() + " " + f.key()
        + (f.badChunks().isEmpty() ? "" : " " + f.badChunks())));
    found.sort(null);
    return found;
  }

  @Test
  void reportsCorruptChunksObjectsWithoutManifestAndOrphans() throws IOException {
    Scrubber.Summary[] s = new Scrubber.Summary[1];
    List<String> found = scrub("a/", s);
    assertEquals(List.of("CORRUPT a/rot.bin [2, 7]", "OK a/good.bin", "ORPHAN_MANIFEST a/gone.bin",
        "ORPHAN_MANIFEST a/replaced.bin", "UNVERIFIED a/foreign.txt", "UNVERIFIED a/replaced.bin"), found);
    assertEquals(1, s[0].corrupt());
    assertEquals(2, s[0].unverified());
    assertEquals(2, s[0].orphans());
    assertEquals(1, s[0].ok());
  }

  @Test
  void theWholeStoreIncludesEveryPrefix() throws IOException {
    Scrubber.Summary[] s = new Scrubber.Summary[1];
    List<String> found = scrub("", s);
    assertTrue(found.contains("CORRUPT b/rot.bin [0]"), found.toString());
    assertEquals(2, s[0].corrupt());
    assertTrue(scrub("a/", s).stream().noneMatch(f -> f.contains("b/")));
  }
}

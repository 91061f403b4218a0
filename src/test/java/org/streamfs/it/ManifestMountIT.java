package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two mounts of one local-directory store, each with a state dir of its own (two machines): what one writes
 * the other reads verified, also after a rename of the file and of its directory; an object another tool
 * wrote reads as it is and says {@code user.streamfs.verified=no}; bit rot in the store's file (size and
 * mtime kept) is EIO through a mount with a fresh state dir, exit 5 for {@code get}, and {@code scrub}
 * names the object and the chunk.
 */
class ManifestMountIT {
  @TempDir
  Path root;

  private static String verified(Mounted m, String path) throws Exception {
    return m.sh("getfattr -n user.streamfs.verified --only-values " + path).strip();
  }

  @Test
  void aSecondMachineVerifiesWhatTheFirstWrote() throws Exception {
    Path store = root.resolve("store");
    try (Mounted a = new Mounted(root.resolve("a"), store, "--chunk-size", "1M").start();
        Mounted b = new Mounted(root.resolve("b"), store, "--chunk-size", "1M").start()) {
      a.sh("head -c 6000000 /dev/urandom > src.bin && cp src.bin mnt/f.bin && mkdir mnt/d"
          + " && cp src.bin mnt/d/g.bin");
      assertEquals(0, a.cli("sync", a.mnt.toString()).code());
      b.sh("cmp ../a/src.bin mnt/f.bin && cmp ../a/src.bin mnt/d/g.bin");
      assertEquals("yes", verified(b, "mnt/f.bin"));

      a.sh("mv mnt/f.bin mnt/h.bin && mv mnt/d mnt/e");
      assertEquals(0, a.cli("sync", a.mnt.toString()).code());
      b.sh("cmp ../a/src.bin mnt/h.bin && cmp ../a/src.bin mnt/e/g.bin");
      assertEquals("yes", verified(b, "mnt/h.bin"));
      assertEquals("yes", verified(b, "mnt/e/g.bin"));

      Files.writeString(store.resolve("foreign.txt"), "another tool wrote this\n");
      assertEquals("another tool wrote this", b.sh("cat mnt/foreign.txt").strip());
      assertEquals("no", verified(b, "mnt/foreign.txt"));
      String listing = b.sh("ls -A mnt");
      assertTrue(!listing.contains(".streamfs"), "sidecars never show in the mount: " + listing);
    }

    // bit rot at 2.5 MB (chunk 2 of 1 MiB chunks), size and mtime kept
    Path h = store.resolve("h.bin");
    FileTime mtime = Files.getLastModifiedTime(h);
    try (RandomAccessFile f = new RandomAccessFile(h.toFile(), "rw")) {
      f.seek(2_500_000);
      int x = f.read();
      f.seek(2_500_000);
      f.write(x ^ 0x01);
    }
    Files.setLastModifiedTime(h, mtime);

    try (Mounted c = new Mounted(root.resolve("c"), store, "--chunk-size", "1M").start()) {
      Mounted.Result dd = c.run("dd if=mnt/h.bin of=/dev/null bs=1M");
      assertNotEquals(0, dd.code(), "wrong bytes were served: " + dd.out());
      assertTrue(dd.out().contains("Input/output error"), dd.out());
      assertTrue(c.log().contains("chunk 2 of h.bin"), "the log names object and chunk");
      c.sh("cmp ../a/src.bin mnt/e/g.bin"); // the other file is intact
    }

    Mounted.Result get = new Mounted(root.resolve("d"), store).cli("get", "--store", "file://" + store,
        "--state-dir", root.resolve("fresh-get").toString(), "h.bin", root.resolve("back.bin").toString());
    assertEquals(5, get.code(), get.out());
    assertTrue(get.out().contains("h.bin"), get.out());

    Mounted.Result scrub = new Mounted(root.resolve("d"), store).cli("scrub", "--store", "file://" + store,
        "--state-dir", root.resolve("fresh-scrub").toString(), "--quiet");
    assertEquals(5, scrub.code(), scrub.out());
    assertTrue(scrub.out().contains("corrupt h.bin chunks 2 "), scrub.out());
    assertTrue(scrub.out().contains("no-manifest foreign.txt"), scrub.out());
    assertTrue(!scrub.out().contains("e/g.bin"), "an intact object is not reported: " + scrub.out());
  }
}

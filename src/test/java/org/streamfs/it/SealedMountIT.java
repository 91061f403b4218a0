package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mount with {@code --compress} and {@code --encrypt-key-file}: files written through it are stored
 * sealed (not readable in the store), read back whole and by random ranges (dd), overwritten in the middle,
 * renamed; stat shows the file size; a remount with a wrong key is refused at mount time.
 */
class SealedMountIT {
  @TempDir Path root;

  @Test
  void sealedWritesReadsOverwritesAndWrongKey() throws Exception {
    Path key = root.resolve("key");
    byte[] k = new byte[32];
    new Random(1).nextBytes(k);
    Files.writeString(key, HexFormat.of().formatHex(k));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    try (Mounted m = new Mounted(root, "--chunk-size", "1M", "--compress", "3", "--encrypt-key-file",
        key.toString()).start()) {
      m.sh("for i in $(seq 1 60000); do echo \"{\\\"id\\\":$i,\\\"name\\\":\\\"customer $i\\\",\\\"ok\\\":true}\"; done"
          + " > t.json && cp t.json mnt/t.json");
      m.sh("head -c 3000000 /dev/urandom > r.bin && cp r.bin mnt/r.bin");
      assertEquals(0, m.cli("sync", m.mnt.toString()).code());
      m.sh("test $(stat -c %s mnt/t.json) = $(stat -c %s t.json) && cmp t.json mnt/t.json && cmp r.bin mnt/r.bin");
      m.sh("test $(head -c 8 store/t.json | od -An -tx1 | tr -d ' \\n') = 8953465345414c0a"); // sealed magic
      m.sh("! grep -q customer store/t.json");
      m.sh("test $(stat -c %s store/t.json) -lt $(( $(stat -c %s t.json) / 2 ))");
      // random ranged reads through the mount
      m.sh("for off in 0 4095 1048575 1048576 2000000 2999990; do"
          + " cmp <(dd if=r.bin bs=1 skip=$off count=10 status=none) <(dd if=mnt/r.bin bs=1 skip=$off count=10"
          + " status=none) || exit 1; done");
      // overwrite in the middle (a staged upload re-seals the untouched chunks), then rename
      m.sh("dd if=/dev/zero of=mnt/r.bin bs=4096 seek=300 count=3 conv=notrunc status=none"
          + " && dd if=/dev/zero of=r.bin bs=4096 seek=300 count=3 conv=notrunc status=none");
      assertEquals(0, m.cli("sync", m.mnt.toString()).code());
      m.sh("mv mnt/r.bin mnt/r2.bin && cmp r.bin mnt/r2.bin");
      // a byte flipped in the store (same size and mtime): reads fail with EIO, never return wrong bytes
      m.sh("head -c 2500000 /dev/urandom > u.bin && cp u.bin mnt/u.bin");
      assertEquals(0, m.cli("sync", m.mnt.toString()).code());
      m.sh("cp -p store/u.bin u.stored && printf '\\x55' | dd of=store/u.bin bs=1 seek=1500000 conv=notrunc"
          + " status=none && touch -r u.stored store/u.bin && ! cmp -s u.stored store/u.bin");
      Mounted.Result r = m.run("cat mnt/u.bin > u.out");
      assertNotEquals(0, r.code(), "read of a tampered object succeeded");
      assertTrue(r.out().contains("Input/output error"), r.out());
      m.sh("test $(stat -c %s u.out) -lt 1500000 && cmp -s u.out <(head -c $(stat -c %s u.out) u.bin)");
      m.sh("cp u.stored store/u.bin && touch -r u.stored store/u.bin && cmp u.bin mnt/u.bin");
    }
    Path wrong = root.resolve("wrong");
    byte[] w = new byte[32];
    new Random(2).nextBytes(w);
    Files.writeString(wrong, HexFormat.of().formatHex(w));
    Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
    Mounted bad = new Mounted(root, "--chunk-size", "1M", "--encrypt-key-file", wrong.toString());
    try {
      bad.start();
      throw new AssertionError("mounted with a wrong key");
    } catch (IllegalStateException expected) {
      assertTrue(bad.log().contains("wrong key"), bad.log());
    } finally {
      bad.close();
    }
    try (Mounted again = new Mounted(root, "--chunk-size", "1M", "--encrypt-key-file", key.toString()).start()) {
      again.sh("cmp r.bin mnt/r2.bin && cmp t.json mnt/t.json");
      assertNotEquals(0, again.run("cat mnt/missing").code());
    }
  }
}

package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key files: the accepted encodings (raw, hex, base64, passphrase), refusal of files group or others can
 * read, a wrong key or passphrase refused up front with a clear message, and no key bytes in toString.
 */
class KeyMaterialTest {
  @TempDir Path dir;

  Path write(String name, byte[] content, String perms) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    return p;
  }

  byte[] sealedWith(KeyMaterial k, byte[] data) {
    return Sealed.seal(new CodecOptions(Compression.ZSTD, 3, k), 100, 1, data).object;
  }

  @Test
  void rawHexAndBase64KeyFilesAreTheSameKey() throws Exception {
    byte[] key = Sealed.random(32, 3);
    key[0] = 0; // not printable: a raw key
    KeyMaterial raw = KeyMaterial.fromFile(write("raw", key, "rw-------"));
    KeyMaterial hex = KeyMaterial.fromFile(write("hex", (HexFormat.of().formatHex(key) + "\n")
        .getBytes(StandardCharsets.US_ASCII), "r--------"));
    KeyMaterial b64 = KeyMaterial.fromFile(write("b64", (Base64.getEncoder().encodeToString(key) + "\n")
        .getBytes(StandardCharsets.US_ASCII), "rw-------"));
    assertFalse(raw.isPassphrase() || hex.isPassphrase() || b64.isPassphrase());
    byte[] data = Sealed.text(1000, 1);
    byte[] obj = sealedWith(raw, data);
    assertArrayEquals(data, Sealed.readAll(Sealed.open(obj, hex)));
    assertArrayEquals(data, Sealed.readAll(Sealed.open(obj, b64)));
  }

  @Test
  void passphraseFileIsStretchedAndReadableByAnotherInstance() throws Exception {
    Path p = write("pass", "a long and winding passphrase\n".getBytes(StandardCharsets.UTF_8), "rw-------");
    KeyMaterial w = KeyMaterial.fromFile(p, 100_000);
    assertTrue(w.isPassphrase());
    byte[] data = Sealed.text(700, 2);
    byte[] obj = sealedWith(w, data);
    assertArrayEquals(data, Sealed.readAll(Sealed.open(obj, KeyMaterial.fromFile(p, 100_000))));
    // the trailing newline is not part of the passphrase
    KeyMaterial noNewline = KeyMaterial.ofPassphrase("a long and winding passphrase".toCharArray(), 100_000);
    assertArrayEquals(data, Sealed.readAll(Sealed.open(obj, noNewline)));
  }

  @Test
  void keyFileReadableByGroupOrOthersIsRefused() throws Exception {
    for (String perms : new String[] {"rw-r-----", "rw----r--", "rw--w----", "rw-rw-rw-"}) {
      Path p = write("k" + perms.hashCode(), HexFormat.of().formatHex(new byte[32]).getBytes(StandardCharsets.US_ASCII), perms);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyMaterial.fromFile(p));
      assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }
    assertThrows(java.nio.file.NoSuchFileException.class, () -> KeyMaterial.fromFile(dir.resolve("absent")));
  }

  @Test
  void tooShortPassphraseOrEmptyFileIsRefused() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KeyMaterial.fromFile(write("short", "abc\n".getBytes(StandardCharsets.UTF_8), "rw-------")));
    assertTrue(e.getMessage().contains("shorter than"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> KeyMaterial.fromFile(write("empty", new byte[0], "rw-------")));
  }

  @Test
  void wrongKeyIsRefusedBeforeAnyDecryption() throws Exception {
    byte[] obj = sealedWith(Sealed.key(1), Sealed.text(1000, 3));
    WrongKeyException e = assertThrows(WrongKeyException.class, () -> Sealed.open(obj, Sealed.key(2)));
    assertTrue(e.getMessage().contains("wrong key") && e.getMessage().contains("test/object"), e.getMessage());
    WrongKeyException none = assertThrows(WrongKeyException.class, () -> Sealed.open(obj, null));
    assertTrue(none.getMessage().contains("--encrypt-key-file"), none.getMessage());
    WrongKeyException kind = assertThrows(WrongKeyException.class,
        () -> Sealed.open(obj, KeyMaterial.ofPassphrase("some passphrase".toCharArray(), 100_000)));
    assertTrue(kind.getMessage().contains("passphrase"), kind.getMessage());

    byte[] byPass = sealedWith(KeyMaterial.ofPassphrase("right passphrase".toCharArray(), 100_000), new byte[10]);
    assertThrows(WrongKeyException.class,
        () -> Sealed.open(byPass, KeyMaterial.ofPassphrase("wrong passphrase".toCharArray(), 100_000)));
  }

  @Test
  void secretsNeverAppearInToString() throws Exception {
    byte[] key = Sealed.random(32, 9);
    String hex = HexFormat.of().formatHex(key);
    Path p = write("hexkey", hex.getBytes(StandardCharsets.US_ASCII), "rw-------");
    KeyMaterial k = KeyMaterial.fromFile(p);
    CodecOptions o = new CodecOptions(Compression.ZSTD, 3, k);
    ObjectCodec c = ObjectCodec.create(o, 1024, 1);
    for (String s : new String[] {k.toString(), o.toString(), c.toString()}) {
      assertFalse(s.contains(hex) || s.contains(hex.substring(0, 16)) || s.contains(Base64.getEncoder()
          .encodeToString(key)), s);
      assertTrue(s.contains("redacted"), s);
    }
    KeyMaterial pass = KeyMaterial.ofPassphrase("hunter2hunter2".toCharArray(), 100_000);
    assertFalse(pass.toString().contains("hunter2"));
  }
}

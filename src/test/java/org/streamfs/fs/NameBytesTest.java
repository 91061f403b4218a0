package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.streamfs.store.StoreKeys;

class NameBytesTest {
  private static byte[] b(int... v) {
    byte[] r = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = (byte) v[i];
    }
    return r;
  }

  @Test
  void validUtf8NamesKeepTheirKey() {
    for (String s : new String[] {"plain.txt", "été", "日本語", "emoji \uD83D\uDE00", "a b", "\uF700\uF720\uF7FF"
        .substring(0, 2), "\uFFFD"}) {
      assertEquals(s, NameBytes.fromBytes(s.getBytes(StandardCharsets.UTF_8)), s);
      assertTrue(NameBytes.canonical(s), s);
    }
  }

  @Test
  void everySingleByteNameRoundTripsToAValidKeyOfItsOwn() throws Exception {
    Map<String, Integer> seen = new HashMap<>();
    for (int v = 1; v <= 0xff; v++) {
      if (v == '/') {
        continue;
      }
      byte[] name = b(v, 'X');
      String key = NameBytes.fromBytes(name);
      assertArrayEquals(name, NameBytes.toBytes(key), "byte " + v);
      assertTrue(NameBytes.canonical(key));
      assertNull(StoreKeys.problem(key), "byte " + v + " gives key " + key);
      Integer other = seen.put(key, v);
      assertNull(other, "bytes " + other + " and " + v + " share key " + key);
    }
  }

  @Test
  void invalidBytesControlsAndBackslashBecomeEscapes() {
    assertEquals("\uF780X", NameBytes.fromBytes(b(0x80, 'X')));
    assertEquals("\uF781X", NameBytes.fromBytes(b(0x81, 'X')));
    assertEquals("a\uF75Cb", NameBytes.fromBytes(b('a', '\\', 'b')));
    assertEquals("\uF701\uF71F\uF77F", NameBytes.fromBytes(b(1, 0x1f, 0x7f)));
    // a truncated sequence, an overlong form, a surrogate: each byte escaped
    assertEquals("\uF7C3", NameBytes.fromBytes(b(0xc3)));
    assertEquals("\uF7C0\uF7AF", NameBytes.fromBytes(b(0xc0, 0xaf)));
    assertEquals("\uF7ED\uF7A0\uF780", NameBytes.fromBytes(b(0xed, 0xa0, 0x80)));
  }

  @Test
  void aRealEscapeCharacterIsEscapedSoItCannotPassForAByte() {
    String real = "\uF780X"; // a name that holds U+F780 itself
    String key = NameBytes.fromBytes(real.getBytes(StandardCharsets.UTF_8));
    assertNotEquals(NameBytes.fromBytes(b(0x80, 'X')), key);
    assertArrayEquals(real.getBytes(StandardCharsets.UTF_8), NameBytes.toBytes(key));
  }

  @Test
  void randomByteStringsRoundTripAndNeverCollide() {
    Random r = new Random(42);
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < 20000; i++) {
      byte[] name = new byte[1 + r.nextInt(8)];
      for (int k = 0; k < name.length; k++) {
        int v = r.nextInt(4) == 0 ? 0x80 + r.nextInt(0x80) : 1 + r.nextInt(0xff);
        name[k] = (byte) v;
      }
      String key = NameBytes.fromBytes(name);
      assertArrayEquals(name, NameBytes.toBytes(key));
      assertTrue(NameBytes.canonical(key));
      String hex = java.util.HexFormat.of().formatHex(name);
      String before = seen.put(key, hex);
      assertTrue(before == null || before.equals(hex), before + " and " + hex + " share " + key);
    }
  }

  @Test
  void foreignEscapesOfValidUtf8AreNotCanonical() {
    assertFalse(NameBytes.canonical("\uF7C3\uF7A9")); // the bytes of "é", escaped
    assertFalse(NameBytes.canonical("a\\b"));
    assertTrue(NameBytes.canonical("a\uF75Cb"));
  }

  @Test
  void decodedNamesWithReplacementCharactersAreRefused() throws Exception {
    FsException e = assertThrows(FsException.class, () -> NameBytes.fromDecoded("\uFFFDX"));
    assertEquals(Errno.EILSEQ, e.errno());
    assertEquals("a\uF75Cb", NameBytes.fromDecoded("a\\b"));
  }
}

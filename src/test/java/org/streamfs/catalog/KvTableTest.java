package org.streamfs.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The named tables handed to upper layers: point operations, prefix scans and deletes, batch puts. */
class KvTableTest {
  @TempDir
  Path tmp;
  Catalog catalog;
  KvTable table;

  @BeforeEach
  void open() throws Exception {
    catalog = Catalog.open(tmp.resolve("state"));
    table = catalog.table("attr-cache");
  }

  @AfterEach
  void close() {
    catalog.close();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> keys(List<Map.Entry<byte[], byte[]>> entries) {
    return entries.stream().map(e -> new String(e.getKey(), StandardCharsets.UTF_8))
        .collect(Collectors.toList());
  }

  @Test
  void putGetDelete() {
    assertNull(table.get(b("missing")));
    table.put(b("k"), b("v1"));
    assertArrayEquals(b("v1"), table.get(b("k")));
    table.put(b("k"), new byte[0]);
    assertArrayEquals(new byte[0], table.get(b("k")));
    assertTrue(table.delete(b("k")));
    assertFalse(table.delete(b("k")));
    assertNull(table.get(b("k")));
  }

  @Test
  void returnedValuesAreCopies() {
    byte[] value = b("abc");
    table.put(b("k"), value);
    value[0] = 'X';
    byte[] first = table.get(b("k"));
    first[1] = 'Y';
    assertArrayEquals(b("abc"), table.get(b("k")));
  }

  @Test
  void scanReturnsThePrefixInUnsignedKeyOrder() {
    byte[][] keys = {{1, 0x7f}, {1, (byte) 0x80}, {1, (byte) 0xff}, {1, (byte) 0xff, 0}, {1}, {2}, {0, 1}};
    for (byte[] k : keys) {
      table.put(k, k);
    }
    List<Map.Entry<byte[], byte[]>> ones = table.scan(new byte[] {1});
    assertEquals(5, ones.size());
    byte[][] expected = {{1}, {1, 0x7f}, {1, (byte) 0x80}, {1, (byte) 0xff}, {1, (byte) 0xff, 0}};
    for (int i = 0; i < expected.length; i++) {
      assertArrayEquals(expected[i], ones.get(i).getKey());
      assertArrayEquals(expected[i], ones.get(i).getValue());
    }
    assertEquals(7, table.scan(new byte[0]).size());
    assertEquals(2, table.scan(new byte[] {1, (byte) 0xff}).size());
    assertTrue(table.scan(new byte[] {3}).isEmpty());
  }

  @Test
  void deletePrefixRemovesExactlyThePrefix() {
    for (String k : List.of("dir/a", "dir/b", "dir/sub/c", "dir", "dis", "dir0", "e")) {
      table.put(b(k), b(k));
    }
    assertEquals(3, table.deletePrefix(b("dir/")));
    assertEquals(List.of("dir", "dir0", "dis", "e"), keys(table.scan(new byte[0])));
    assertEquals(0, table.deletePrefix(b("nothing")));
    assertEquals(4, table.deletePrefix(new byte[0]));
    assertTrue(table.scan(new byte[0]).isEmpty());
  }

  @Test
  void putAllAppliesPutsAndDeletesInOneCall() {
    table.put(b("gone"), b("x"));
    table.put(b("changed"), b("old"));
    Map<byte[], byte[]> batch = new LinkedHashMap<>();
    batch.put(b("gone"), null);
    batch.put(b("changed"), b("new"));
    batch.put(b("added"), b("a"));
    table.putAll(batch);
    assertEquals(List.of("added", "changed"), keys(table.scan(new byte[0])));
    assertArrayEquals(b("new"), table.get(b("changed")));

    Map<byte[], byte[]> bad = new LinkedHashMap<>();
    bad.put(b("fine"), b("1"));
    bad.put(new byte[Keys.MAX_KEY_BYTES + 1], b("2"));
    assertThrows(IllegalArgumentException.class, () -> table.putAll(bad));
    assertNull(table.get(b("fine")), "a refused batch writes nothing");
  }

  @Test
  void keysAndNamesAreChecked() {
    table.put(new byte[Keys.MAX_KEY_BYTES], b("max"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> table.put(new byte[Keys.MAX_KEY_BYTES + 1], b("x")));
    assertTrue(e.getMessage().contains("512 bytes"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> table.get(new byte[0]));
    assertThrows(NullPointerException.class, () -> table.put(b("k"), null));
    assertThrows(IllegalArgumentException.class, () -> catalog.table("Bad Name"));
    assertThrows(IllegalArgumentException.class, () -> catalog.table(""));
  }

  @Test
  void tablesAreCachedSeparateAndPersistent() throws Exception {
    assertSame(table, catalog.table("attr-cache"));
    KvTable other = catalog.table("read-cache.index");
    table.put(b("k"), b("attr"));
    other.put(b("k"), b("cache"));
    assertArrayEquals(b("attr"), table.get(b("k")));
    assertArrayEquals(b("cache"), other.get(b("k")));
    catalog.close();
    catalog = Catalog.open(tmp.resolve("state"));
    assertArrayEquals(b("cache"), catalog.table("read-cache.index").get(b("k")));
    assertArrayEquals(b("attr"), catalog.table("attr-cache").get(b("k")));
  }
}

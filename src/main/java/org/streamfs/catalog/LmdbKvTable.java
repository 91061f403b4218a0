package org.streamfs.catalog;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lmdbjava.Dbi;

/**
 * A {@link KvTable} backed by one named LMDB database ({@code table.NAME}, see {@link Keys}) of the
 * catalog's environment. Each call is one short transaction; values come out as fresh arrays.
 */
final class LmdbKvTable implements KvTable {
  private final CatalogEnv env;
  private final String name;
  private final Dbi<byte[]> dbi;

  LmdbKvTable(CatalogEnv env, String name, Dbi<byte[]> dbi) {
    this.env = env;
    this.name = name;
    this.dbi = dbi;
  }

  @Override
  public byte[] get(byte[] key) {
    Keys.checkTableKey(key);
    return env.read("get from table " + name, txn -> dbi.get(txn, key));
  }

  @Override
  public void put(byte[] key, byte[] value) {
    Keys.checkTableKey(key);
    Objects.requireNonNull(value, "value");
    env.write("put into table " + name, txn -> dbi.put(txn, key, value));
  }

  @Override
  public void putAll(Map<byte[], byte[]> entries) {
    entries.keySet().forEach(Keys::checkTableKey);
    env.write("update table " + name, txn -> {
      for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
        if (e.getValue() == null) {
          dbi.delete(txn, e.getKey());
        } else {
          dbi.put(txn, e.getKey(), e.getValue());
        }
      }
      return null;
    });
  }

  @Override
  public boolean delete(byte[] key) {
    Keys.checkTableKey(key);
    return env.write("delete from table " + name, txn -> dbi.delete(txn, key));
  }

  @Override
  public List<Map.Entry<byte[], byte[]>> scan(byte[] prefix) {
    Objects.requireNonNull(prefix, "prefix");
    return env.read("scan table " + name, txn -> CatalogEnv.scan(txn, dbi, prefix));
  }

  @Override
  public int deletePrefix(byte[] prefix) {
    Objects.requireNonNull(prefix, "prefix");
    return env.write("delete a prefix from table " + name,
        txn -> CatalogEnv.deletePrefix(txn, dbi, prefix));
  }

  @Override
  public String toString() {
    return "table " + name + " of catalog " + env.dir();
  }
}

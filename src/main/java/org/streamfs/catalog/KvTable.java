package org.streamfs.catalog;

import java.util.List;
import java.util.Map;

/**
 * A named LMDB database offered to upper layers (attribute cache, read-cache index, mount bookkeeping):
 * byte[] keys (at most 511 bytes) to byte[] values, each call one short transaction, values copied out.
 */
public interface KvTable {
  byte[] get(byte[] key);

  void put(byte[] key, byte[] value);

  /** Applies all puts (value non-null) and deletes (value null) in one commit. */
  void putAll(Map<byte[], byte[]> entries);

  boolean delete(byte[] key);

  /** Entries whose key starts with {@code prefix}, in key order. */
  List<Map.Entry<byte[], byte[]>> scan(byte[] prefix);

  /** Deletes every entry whose key starts with prefix; returns how many. */
  int deletePrefix(byte[] prefix);
}

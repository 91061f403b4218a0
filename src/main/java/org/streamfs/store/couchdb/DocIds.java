package org.streamfs.store.couchdb;

import java.util.ArrayList;
import java.util.List;

/**
 * The one place that turns store keys into CouchDB document ids and back. A key is its own document id, so
 * other CouchDB clients see our files under their paths; the only change is that a key starting with
 * {@code _} (which CouchDB reserves) starts with a backslash instead. Keys never contain a backslash
 * ({@code StoreKeys} refuses it), so the mapping is a bijection and keeps prefixes: every key below a prefix
 * P has an id starting with {@code encode(P)}. Upload staging documents live under the reserved
 * {@code .streamfs-upload:} prefix, which no valid key can take.
 */
final class DocIds {
  /** Id prefix of the staging document of each upload in progress. */
  static final String UPLOAD_PREFIX = ".streamfs-upload:";

  private DocIds() {}

  /** The document id of a (valid) store key. */
  static String encode(String key) {
    return key.startsWith("_") ? "\\" + key.substring(1) : key;
  }

  /** The store key of a document id; may be an invalid key for a foreign document (then skip it). */
  static String decode(String id) {
    return id.startsWith("\\") ? "_" + id.substring(1) : id;
  }

  /** True for ids CouchDB or we reserve: design and local docs, our staging documents. */
  static boolean isInternal(String id) {
    return id.startsWith("_") || id.startsWith(UPLOAD_PREFIX);
  }

  static String uploadDocId(String uploadId) {
    return UPLOAD_PREFIX + uploadId;
  }

  /** Name of the attachment holding part {@code n} (1-based) of an upload in progress. */
  static String partName(int partNumber) {
    return String.format("p%05d", partNumber);
  }

  /** Name of the attachment holding chunk {@code index} (0-based) of a file. */
  static String chunkName(int index) {
    return String.format("c%06d", index);
  }

  /**
   * The candidate (document id, attachment name) splits of a key that may name an attachment of a foreign
   * document: every {@code /} in the key splits it, longest document id first.
   */
  static List<String[]> foreignSplits(String key) {
    List<String[]> out = new ArrayList<>();
    for (int i = key.length() - 1; i > 0; i--) {
      if (key.charAt(i) == '/' && i < key.length() - 1) {
        out.add(new String[] {encode(key.substring(0, i)), key.substring(i + 1)});
      }
    }
    return out;
  }
}

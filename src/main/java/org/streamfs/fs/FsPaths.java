package org.streamfs.fs;

import java.nio.charset.StandardCharsets;
import org.streamfs.store.StoreKeys;

/**
 * Mount paths to store keys: "/a/b" is key "a/b", "/" is "" (the root). A name longer than 255 bytes
 * (NAME_MAX), or a path whose key (with the {@code /} of a directory marker) is longer than the store's
 * {@link org.streamfs.store.StoreLimits#maxKeyBytes}, is ENAMETOOLONG; a name the store cannot hold
 * (reserved {@code .streamfs} names) does not exist (ENOENT). Paths are in the form of {@link NameBytes}:
 * the bindings escape bytes that are not UTF-8, control characters and {@code \}, so every Linux name has
 * its own key; an escaped byte takes three bytes of the key, and the 255-byte limit applies to the name as
 * the store keeps it.
 */
final class FsPaths {
  private FsPaths() {}

  /** "/a/b" to "a/b"; "/" to "". */
  static String key(String path) {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return "";
    }
    String k = path.startsWith("/") ? path.substring(1) : path;
    return k.endsWith("/") ? k.substring(0, k.length() - 1) : k;
  }

  /** The key of a path: ENAMETOOLONG beyond 255 bytes a name or the store's key limit, ENOENT for names
   * the store cannot hold. */
  static String checkedKey(String path, int maxKeyBytes) throws FsException {
    String key = key(path);
    for (String seg : key.split("/")) {
      if (seg.getBytes(StandardCharsets.UTF_8).length > StoreKeys.MAX_SEGMENT_BYTES) {
        throw FsException.of(Errno.ENAMETOOLONG, path, "name longer than 255 bytes as the store keeps it"
            + " (bytes that are not UTF-8, control characters and \\ take three)");
      }
    }
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxKeyBytes - 1) {
      throw FsException.of(Errno.ENAMETOOLONG, path.substring(0, Math.min(path.length(), 100)) + "...",
          "path of " + bytes + " bytes, the store takes keys of at most " + maxKeyBytes + " bytes");
    }
    String why = StoreKeys.problem(key, maxKeyBytes);
    if (why != null) {
      throw FsException.of(Errno.ENOENT, path, "not storable: " + why);
    }
    return key;
  }
}

package org.streamfs.fs;

import java.nio.charset.StandardCharsets;
import org.streamfs.store.StoreKeys;

/**
 * Mount paths to store keys: "/a/b" is key "a/b", "/" is "" (the root). A name longer than 255 bytes is
 * ENAMETOOLONG; a name the store cannot hold (reserved {@code .streamfs} names, control characters) does
 * not exist (ENOENT).
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

  /** The key of a path: ENAMETOOLONG beyond 255 bytes a name, ENOENT for names the store cannot hold. */
  static String checkedKey(String path) throws FsException {
    String key = key(path);
    for (String seg : key.split("/")) {
      if (seg.getBytes(StandardCharsets.UTF_8).length > StoreKeys.MAX_SEGMENT_BYTES) {
        throw FsException.of(Errno.ENAMETOOLONG, path, "name longer than 255 bytes");
      }
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > StoreKeys.MAX_KEY_BYTES - 1) {
      throw FsException.of(Errno.ENAMETOOLONG, path, "path longer than the store allows");
    }
    String why = StoreKeys.problem(key);
    if (why != null) {
      throw FsException.of(Errno.ENOENT, path, "not storable: " + why);
    }
    return key;
  }
}

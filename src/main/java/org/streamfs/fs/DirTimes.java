package org.streamfs.fs;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each directory's entries last changed through this mount (create, mkdir, mknod, symlink, unlink,
 * rmdir, rename): a directory's st_mtime and st_ctime show that time while the mount runs, as on ext4. Kept
 * in memory only, so that creating a file costs no store call for its parent's marker (on S3 that would be
 * a copy per file); after a remount a directory shows the times stored on its marker again. At most
 * {@value #MAX} directories are remembered; past that the table starts over.
 */
final class DirTimes {
  private static final int MAX = 1 << 16;
  private final Map<String, Instant> changed = new ConcurrentHashMap<>();

  /** The entries of directory {@code dirKey} ("" = the root) changed now. */
  void touch(String dirKey) {
    if (changed.size() >= MAX) {
      changed.clear();
    }
    changed.put(dirKey, Instant.now());
  }

  /** The entries of the directory holding {@code key} changed now. */
  void touchParentOf(String key) {
    int slash = key.lastIndexOf('/');
    touch(slash < 0 ? "" : key.substring(0, slash));
  }

  /** Directory {@code key} is gone, or its times were just stored on its marker: forget its change. */
  void forget(String key) {
    changed.remove(key);
  }

  /** Directory {@code from} is now {@code to}: its entries (and those below it) follow. */
  void moved(String from, String to) {
    for (Map.Entry<String, Instant> e : Map.copyOf(changed).entrySet()) {
      String k = e.getKey();
      if (k.equals(from) || k.startsWith(from + "/")) {
        changed.remove(k, e.getValue());
        changed.put(to + k.substring(from.length()), e.getValue());
      }
    }
  }

  /** {@code a} with the mtime and ctime of a later change in it, for a directory. */
  Attr apply(String key, Attr a) {
    Instant t = a.isDirectory() ? changed.get(key) : null;
    if (t == null || t.getEpochSecond() < a.mtimeSec()
        || (t.getEpochSecond() == a.mtimeSec() && t.getNano() <= a.mtimeNanos())) {
      return a;
    }
    boolean ctimeLater = a.ctimeSec() > t.getEpochSecond()
        || (a.ctimeSec() == t.getEpochSecond() && a.ctimeNanos() > t.getNano());
    return new Attr(a.mode(), a.uid(), a.gid(), a.size(), t.getEpochSecond(), t.getNano(), a.atimeSec(),
        a.atimeNanos(), ctimeLater ? a.ctimeSec() : t.getEpochSecond(), ctimeLater ? a.ctimeNanos() : t.getNano(),
        a.rdev(), a.ino());
  }
}

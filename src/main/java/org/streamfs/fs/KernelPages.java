package org.streamfs.fs;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which stored version of each key the kernel may hold pages of: the one the last open of the key saw.
 * An open may let the kernel keep its pages (FOPEN_KEEP_CACHE) only if it sees that same version again;
 * libfuse's own {@code auto_cache} compares mtime and size, which a rewrite of the same size with the mtime
 * kept ({@code rsync -a}) does not change, while the version does. Bounded (least recently opened first).
 */
final class KernelPages {
  private static final int MAX = 4096;
  private final Map<String, String> versions = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > MAX;
    }
  };

  /**
   * Records an open of {@code key} that reads {@code version} (null: a writer or a file being written, whose
   * pages must go) and returns whether the kernel may keep the pages it has.
   */
  synchronized boolean keep(String key, String version) {
    String before = version == null ? versions.remove(key) : versions.put(key, version);
    return version != null && version.equals(before);
  }
}

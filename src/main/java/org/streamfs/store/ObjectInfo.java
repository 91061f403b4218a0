package org.streamfs.store;

import java.time.Instant;
import java.util.Map;

/**
 * What a store says about one object: key, size, version (ETag, CouchDB rev, or a local fingerprint; it
 * changes whenever the bytes do), last modification and user metadata (small string pairs such as
 * {@code mtime}, {@code mode}). A key ending in {@code /} is a directory marker.
 */
public record ObjectInfo(String key, long size, String version, Instant lastModified,
    Map<String, String> metadata) {

  public ObjectInfo {
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  public boolean isDirectory() {
    return key.endsWith("/");
  }
}

package org.streamfs.transfer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.catalog.Catalog;
import org.streamfs.catalog.KvTable;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectInfo;

/**
 * Records how each object version this machine wrote was chunked ({@link ChunkManifest}), in the catalog
 * table {@code manifests} keyed by SHA-256(key + NUL + version) (fixed 32 bytes: LMDB keys stay short and
 * paths never appear in keys). Reads of an object without a manifest (written by another tool) fall back
 * to a layout chosen from its size, without per-chunk checksums.
 */
final class Manifests {
  private static final Logger LOG = LoggerFactory.getLogger(Manifests.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KvTable table;
  private final long defaultChunkSize;

  Manifests(Catalog catalog, long configuredChunkSize) {
    this.table = catalog.table("manifests");
    this.defaultChunkSize = configuredChunkSize;
  }

  static byte[] id(String key, String version) {
    return Sha256.digest((key + "\0" + version).getBytes(StandardCharsets.UTF_8));
  }

  void put(String key, String version, ChunkManifest m) {
    try {
      table.put(id(key, version), JSON.writeValueAsBytes(m));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode manifest of " + key, e);
    }
  }

  void remove(String key, String version) {
    table.delete(id(key, version));
  }

  /** The recorded manifest, or a default layout without checksums. */
  ChunkManifest lookup(ObjectInfo obj) {
    byte[] raw = table.get(id(obj.key(), obj.version()));
    if (raw != null) {
      try {
        ChunkManifest m = JSON.readValue(raw, ChunkManifest.class);
        if (m.size() == obj.size()) {
          return m;
        }
        LOG.warn("manifest of {} records {} bytes but the object has {}: ignoring it", obj.key(), m.size(),
            obj.size());
      } catch (IOException e) {
        LOG.warn("manifest of {} is unreadable, reading without per-chunk checksums: {}", obj.key(),
            e.getMessage());
      }
    }
    long chunk = defaultChunkSize > 0 ? defaultChunkSize : ChunkLayout.chooseChunkSize(obj.size());
    return new ChunkManifest(obj.size(), chunk, java.util.List.of(), null);
  }
}

package org.streamfs.transfer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.catalog.Catalog;
import org.streamfs.catalog.KvTable;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;

/**
 * Records how each object version this machine wrote was chunked ({@link ChunkManifest}), in the catalog
 * table {@code manifests}, keyed by 16 bytes of SHA-256(key) then 16 bytes of SHA-256(key + NUL + version)
 * (fixed 32 bytes: LMDB keys stay short, paths never appear in keys, and the versions of one key are
 * neighbours). Reads of an object without a manifest (written by another tool) fall back to a layout chosen
 * from its size, without per-chunk checksums. Catalogs written before that layout keyed a manifest by the
 * whole SHA-256(key + NUL + version); those are still read.
 *
 * <p>A version replaced or deleted through this machine is retired ({@link #retireOthers}): noted in memory,
 * written to the table {@code manifests-retired} (with its key and the time) by the next {@link #sweep}, and
 * removed by a sweep a grace period later — unless that key holds that version again by then. The grace
 * period keeps the checksums of a version that an open handle may still be reading.
 */
final class Manifests {
  private static final Logger LOG = LoggerFactory.getLogger(Manifests.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Retirements noted in memory between sweeps at most; beyond, they are dropped (a few records leak). */
  private static final int MAX_PENDING = 1 << 20;

  /** The store as a sweep sees it: the current object at a key, empty if absent. */
  @FunctionalInterface
  interface Current {
    Optional<ObjectInfo> at(String key) throws StoreException;
  }

  private record Retired(byte[] id, String key, long atMillis) {}

  private final KvTable table;
  private final KvTable retired;
  private final long defaultChunkSize;
  private final ConcurrentLinkedQueue<Retired> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();

  Manifests(Catalog catalog, long configuredChunkSize) {
    this.table = catalog.table("manifests");
    this.retired = catalog.table("manifests-retired");
    this.defaultChunkSize = configuredChunkSize;
  }

  static byte[] id(String key, String version) {
    byte[] id = new byte[32];
    System.arraycopy(keyPrefix(key), 0, id, 0, 16);
    System.arraycopy(legacyId(key, version), 0, id, 16, 16);
    return id;
  }

  private static byte[] keyPrefix(String key) {
    return Arrays.copyOf(Sha256.digest(key.getBytes(StandardCharsets.UTF_8)), 16);
  }

  static byte[] legacyId(String key, String version) {
    return Sha256.digest((key + "\0" + version).getBytes(StandardCharsets.UTF_8));
  }

  void put(String key, String version, ChunkManifest m) {
    try {
      table.put(id(key, version), JSON.writeValueAsBytes(m));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode manifest of " + key, e);
    }
  }

  /** Records several manifests in one commit. */
  void putAll(Map<ObjectInfo, ChunkManifest> manifests) {
    Map<byte[], byte[]> entries = new HashMap<>();
    try {
      for (Map.Entry<ObjectInfo, ChunkManifest> e : manifests.entrySet()) {
        entries.put(id(e.getKey().key(), e.getKey().version()), JSON.writeValueAsBytes(e.getValue()));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a manifest", e);
    }
    if (!entries.isEmpty()) {
      table.putAll(entries);
    }
  }

  /** The recorded manifest, or a default layout without checksums. */
  ChunkManifest lookup(ObjectInfo obj) {
    byte[] raw = table.get(id(obj.key(), obj.version()));
    if (raw == null) {
      raw = table.get(legacyId(obj.key(), obj.version()));
    }
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

  /**
   * Retires the manifests of every version of {@code key} except {@code keep} (null: all of them), after
   * the key was deleted, moved away or given a new version. A read of the table, no write.
   */
  void retireOthers(String key, String keep) {
    byte[] kept = keep == null ? null : id(key, keep);
    long now = System.currentTimeMillis();
    for (Map.Entry<byte[], byte[]> e : table.scan(keyPrefix(key))) {
      if (!Arrays.equals(e.getKey(), kept) && pendingCount.get() < MAX_PENDING) {
        pending.add(new Retired(e.getKey(), key, now));
        pendingCount.incrementAndGet();
      }
    }
  }

  /**
   * Writes the retirements noted since the last sweep, then removes the manifests retired before
   * {@code now - grace} whose key does not hold that version again ({@code current}). Returns how many were
   * removed. A key the store cannot stat now is left for the next sweep.
   */
  int sweep(Current current, Instant now, Duration grace) {
    Map<byte[], byte[]> noted = new HashMap<>();
    for (Retired r; (r = pending.poll()) != null; ) {
      pendingCount.decrementAndGet();
      byte[] k = r.key().getBytes(StandardCharsets.UTF_8);
      noted.put(r.id(), ByteBuffer.allocate(8 + k.length).putLong(r.atMillis()).put(k).array());
    }
    if (!noted.isEmpty()) {
      retired.putAll(noted);
    }
    long cutoff = now.minus(grace).toEpochMilli();
    Map<byte[], byte[]> gone = new HashMap<>();
    Map<byte[], byte[]> done = new HashMap<>();
    for (Map.Entry<byte[], byte[]> e : retired.scan(new byte[0])) {
      ByteBuffer v = ByteBuffer.wrap(e.getValue());
      if (v.remaining() < 8) {
        done.put(e.getKey(), null); // unreadable: forgotten, the manifest kept
        continue;
      }
      if (v.getLong() >= cutoff) {
        continue;
      }
      String key = StandardCharsets.UTF_8.decode(v).toString();
      try {
        Optional<ObjectInfo> o = current.at(key);
        if (o.isEmpty() || !Arrays.equals(id(key, o.get().version()), e.getKey())) {
          gone.put(e.getKey(), null);
        }
        done.put(e.getKey(), null);
      } catch (StoreException ex) {
        LOG.debug("manifest sweep: cannot stat {} now ({}); tried again later", key, ex.getMessage());
      }
    }
    if (!gone.isEmpty()) {
      table.putAll(gone);
    }
    if (!done.isEmpty()) {
      retired.putAll(done);
    }
    return gone.size();
  }

  /** Retirements noted and not yet swept (tests). */
  int pendingRetirements() {
    return pendingCount.get();
  }

  /** Every manifest id recorded for {@code key} (tests). */
  List<byte[]> idsOf(String key) {
    return table.scan(keyPrefix(key)).stream().map(Map.Entry::getKey).toList();
  }
}

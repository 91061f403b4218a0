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
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoredManifest;
import org.streamfs.store.StoreException;

/**
 * The manifests ({@link ChunkManifest}) of object versions: kept in the store next to each object
 * ({@link ObjectStore#writeManifest}: a sidecar on the local and S3 stores, the document on CouchDB), bound to
 * the exact version they vouch for, and cached in the catalog table {@code manifests}, keyed by 16 bytes of
 * SHA-256(key) then 16 bytes of SHA-256(key + NUL + version) (fixed 32 bytes: LMDB keys stay short, paths
 * never appear in keys, and the versions of one key are neighbours). A lookup that the catalog cannot answer
 * reads the store's manifest once and caches it when it names the object's version, so a reader on any
 * machine, with any state dir, verifies what a streamfs writer stored. An object without a manifest that
 * names its version (written by another tool, or left by a crash between publish and manifest) is read with
 * a layout chosen from its size, without per-chunk checksums: unverified. Catalogs written before that key
 * layout keyed a manifest by the whole SHA-256(key + NUL + version); those are still read.
 *
 * <p>The store's copy is written after the object is published and before the operation that published it
 * returns (an upload, a close, a rename); a failure to write it is logged and leaves the object unverified
 * for other machines, never fails the publish. It follows the object: replaced on a new version, carried on
 * rename, removed on delete.
 *
 * <p>A version replaced or deleted through this machine is retired from the catalog ({@link #retireOthers}):
 * noted in memory, written to the table {@code manifests-retired} (with its key and the time) by the next
 * {@link #sweep}, and removed by a sweep a grace period later — unless that key holds that version again by
 * then. The grace period keeps the checksums of a version that an open handle may still be reading.
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
  private final ObjectStore store; // null: catalog only (tests)
  private final Retrier retry; // null: one attempt
  private final ConcurrentLinkedQueue<Retired> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();

  Manifests(Catalog catalog, long configuredChunkSize) {
    this(catalog, configuredChunkSize, null, null);
  }

  Manifests(Catalog catalog, long configuredChunkSize, ObjectStore store, Retrier retry) {
    this.table = catalog.table("manifests");
    this.retired = catalog.table("manifests-retired");
    this.defaultChunkSize = configuredChunkSize;
    this.store = store;
    this.retry = retry;
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

  /** Records the manifest of version {@code version} of {@code key}, in the catalog and in the store. */
  void put(String key, String version, ChunkManifest m) {
    cache(key, version, m);
    publish(key, version, m);
  }

  /** Records the manifest in the catalog only: the store keeps none for this version. */
  void putInCatalog(String key, String version, ChunkManifest m) {
    cache(key, version, m);
  }

  private void cache(String key, String version, ChunkManifest m) {
    try {
      table.put(id(key, version), JSON.writeValueAsBytes(m));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode manifest of " + key, e);
    }
  }

  private boolean storeKeeps() {
    return store != null && store.keepsManifests();
  }

  /**
   * Writes the store's copy naming {@code version}. A manifest without chunk checksums vouches for nothing:
   * instead the one kept for an older version goes. A failure is logged: the object stays, unverified for
   * readers on other machines.
   */
  private void publish(String key, String version, ChunkManifest m) {
    if (!storeKeeps() || key.endsWith("/")) {
      return;
    }
    try {
      if (m.verifiable()) {
        StoredManifest sm = new StoredManifest(key, version, m.size(), m.chunkSize(), m.chunkSha256(), m.sha256());
        call("write manifest of " + key, () -> {
          store.writeManifest(sm);
          return null;
        });
      } else {
        call("delete manifest of " + key, () -> {
          store.deleteManifest(key);
          return null;
        });
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not store the manifest of {} (version {}); other machines read it unverified: {}", key,
          version, e.getMessage());
    }
  }

  /** Removes the store's manifest of {@code key} after the key was deleted or moved away. */
  void forget(String key) {
    if (!storeKeeps() || key.endsWith("/")) {
      return;
    }
    try {
      call("delete manifest of " + key, () -> {
        store.deleteManifest(key);
        return null;
      });
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not remove the manifest of {} (it names a version that is gone, so it vouches for"
          + " nothing; scrub reports it): {}", key, e.getMessage());
    }
  }

  private <T> T call(String what, Retrier.Call<T> c) throws IOException {
    return retry == null ? c.call() : retry.run(what, c);
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
    for (Map.Entry<ObjectInfo, ChunkManifest> e : manifests.entrySet()) {
      publish(e.getKey().key(), e.getKey().version(), e.getValue());
    }
  }

  /**
   * The manifest of this object version: from the catalog, else from the store (one round trip, cached in
   * the catalog when it names this version), else a default layout without checksums (unverified).
   */
  ChunkManifest lookup(ObjectInfo obj) {
    ChunkManifest m = cached(obj);
    if (m == null) {
      m = fromStore(obj);
    }
    if (m != null) {
      return m;
    }
    long chunk = defaultChunkSize > 0 ? defaultChunkSize : ChunkLayout.chooseChunkSize(obj.size());
    return new ChunkManifest(obj.size(), chunk, java.util.List.of(), null);
  }

  /** The manifest the store keeps for this version, cached in the catalog; null if it has none for it. */
  private ChunkManifest fromStore(ObjectInfo obj) {
    if (!storeKeeps() || obj.isDirectory() || obj.size() == 0) {
      return null;
    }
    StoredManifest sm;
    try {
      sm = call("read manifest of " + obj.key(), () -> store.readManifest(obj.key()));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read the manifest of {} from the store, reading it unverified: {}", obj.key(),
          e.getMessage());
      return null;
    }
    if (sm == null) {
      return null;
    }
    if (!sm.vouchesFor(obj)) {
      LOG.debug("the store's manifest of {} names version {}, the object is {}: unverified", obj.key(),
          sm.version(), obj.version());
      return null;
    }
    ChunkManifest m = new ChunkManifest(sm.size(), sm.chunkSize(), sm.chunkSha256(), sm.sha256());
    cache(obj.key(), obj.version(), m);
    return m;
  }

  /** The manifest the catalog holds for this version, or null. */
  private ChunkManifest cached(ObjectInfo obj) {
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
    return null;
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

package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;

/**
 * The namespace operations of the mount (stat, list, small puts, delete, copy, metadata updates, rename)
 * over the engine's store, so that the fs layer never holds an {@link ObjectStore} itself. Rename is a move
 * of the file on a local directory store and copy then delete elsewhere (S3 and CouchDB have no rename);
 * a directory is renamed by the caller, in one {@link #movePrefix} where the store can, else object by
 * object. Copies and renames keep the chunk checksums
 * recorded for the object, in the catalog and in the store (the manifest follows the object: written for the
 * new key and version, removed from the old key; see {@link Manifests}). Everything else about bytes (chunked uploads, verified chunk reads) goes
 * through {@link StreamingManager}.
 */
public final class Namespace {
  private static final int MAX_SMALL_OBJECT = 1 << 20;
  private final ObjectStore store;
  private final Manifests manifests; // null over a bare store

  public Namespace(StreamingManager manager) {
    this(manager.store(), manager.manifests());
  }

  /** Over a store directly (tests, and the CLI before an engine exists): copies carry no checksums. */
  public Namespace(ObjectStore store) {
    this(store, null);
  }

  private Namespace(ObjectStore store, Manifests manifests) {
    this.store = store;
    this.manifests = manifests;
  }

  public String describe() {
    return store.describe();
  }

  /** The object at {@code key}; NOT_FOUND if absent. */
  public ObjectInfo stat(String key) throws StoreException {
    return store.stat(key);
  }

  /** The object at {@code key}, or empty if absent. */
  public Optional<ObjectInfo> find(String key) throws StoreException {
    try {
      return Optional.of(store.stat(key));
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** One directory level: objects directly under {@code prefix} and sub-directory prefixes. */
  public Listing list(String prefix) throws StoreException {
    return store.list(prefix, "/");
  }

  /** Every object below {@code prefix}, at any depth (directory markers included). */
  public List<ObjectInfo> listAll(String prefix) throws StoreException {
    return new ArrayList<>(store.list(prefix, null).objects());
  }

  /** Stores a small object whole (directory marker, symlink, empty file). */
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata) throws StoreException {
    ObjectInfo o = store.put(key, data, metadata);
    retireOthers(key, o.version());
    return o;
  }

  /** The whole body of a small object (a symlink's target); at most 1 MiB. */
  public byte[] readSmall(String key) throws IOException {
    try (InputStream in = store.read(key, 0, MAX_SMALL_OBJECT, null)) {
      return in.readAllBytes();
    }
  }

  /** Removes the object, then the manifest the store keeps for it. */
  public void delete(String key) throws StoreException {
    store.delete(key);
    retireOthers(key, null);
    if (manifests != null) {
      manifests.forget(key);
    }
  }

  /** The checksums recorded for versions of {@code key} other than {@code keep} go (after a grace period). */
  private void retireOthers(String key, String keep) {
    if (manifests != null && !key.endsWith("/")) {
      manifests.retireOthers(key, keep);
    }
  }

  /**
   * Server-side copy. The copy keeps the chunk checksums recorded for the source (same bytes under a new
   * key and version), so reads of a renamed or copied file stay verified chunk by chunk: recorded only if
   * the source's version is the same before and after the copy (a source replaced meanwhile could have
   * given the copy other bytes).
   */
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    if (manifests == null || fromKey.endsWith("/")) {
      return store.copy(fromKey, toKey);
    }
    ObjectInfo source = store.stat(fromKey);
    ChunkManifest m = manifests.lookup(source);
    ObjectInfo copy = store.copy(fromKey, toKey);
    retireOthers(toKey, copy.version());
    if (m.verifiable() && m.size() == copy.size()
        && find(fromKey).map(now -> now.version().equals(source.version())).orElse(false)) {
      manifests.put(copy.key(), copy.version(), m);
    }
    return copy;
  }

  /** Replaces the user metadata of an existing object (callers merge with the old map first). */
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    return store.updateMetadata(key, metadata);
  }

  /**
   * The same for the object version {@code current}, keeping its recorded chunk checksums when the store
   * gives the object a new version for new metadata (S3 does: a copy onto itself changes a multipart
   * object's ETag). The store call itself does not name the version, so another client replacing the
   * object with one of the same size in the instant between the caller's stat and the store's would make
   * reads of it fail verification (EIO), never return wrong bytes.
   */
  public ObjectInfo updateMetadata(ObjectInfo current, Map<String, String> metadata) throws StoreException {
    ObjectInfo o = store.updateMetadata(current.key(), metadata);
    if (manifests != null && !o.version().equals(current.version()) && o.size() == current.size()) {
      ChunkManifest m = manifests.lookup(current);
      if (m.verifiable()) {
        manifests.put(o.key(), o.version(), m);
        retireOthers(o.key(), o.version());
      }
    }
    return o;
  }

  /**
   * Moves every object below directory prefix {@code fromPrefix} to {@code toPrefix} in one step where the
   * store can ({@link ObjectStore#movePrefixInPlace}: a local directory); returns the objects of
   * {@code before} (the listing of {@code fromPrefix}) under their new keys, or null when it cannot (nothing
   * changed: the caller moves object by object). Versions are unchanged, so the checksums recorded for each
   * follow it (an object another client replaced since the listing has another version, which they never
   * match).
   */
  public List<ObjectInfo> movePrefix(String fromPrefix, String toPrefix, List<ObjectInfo> before)
      throws StoreException {
    if (!store.movesInPlace() || !store.movePrefixInPlace(fromPrefix, toPrefix)) {
      return null;
    }
    // the store keeps every version (and a rename(2) cannot change bytes): the listing, re-keyed
    List<ObjectInfo> after = new ArrayList<>(before.size());
    Map<ObjectInfo, ChunkManifest> carried = new HashMap<>();
    for (ObjectInfo o : before) {
      if (!o.key().startsWith(fromPrefix)) {
        continue;
      }
      ObjectInfo n = new ObjectInfo(toPrefix + o.key().substring(fromPrefix.length()), o.size(), o.version(),
          o.lastModified(), o.metadata());
      after.add(n);
      if (manifests != null && !o.key().endsWith("/")) {
        ChunkManifest m = manifests.lookup(o);
        if (m.verifiable()) {
          carried.put(n, m);
        }
        retireOthers(o.key(), null);
      }
    }
    if (manifests != null) {
      manifests.putAll(carried);
      for (ObjectInfo o : before) {
        if (o.key().startsWith(fromPrefix) && !o.key().endsWith("/")) {
          manifests.forget(o.key());
        }
      }
    }
    return after;
  }

  /** The longest key the store takes, in UTF-8 bytes. */
  public int maxKeyBytes() {
    return store.limits().maxKeyBytes();
  }

  /** Whether {@link #rename} moves an object without copying its bytes (a local directory store). */
  public boolean movesInPlace() {
    return store.movesInPlace();
  }

  /**
   * Moves one object: in one step where the store can ({@link ObjectStore#moveInPlace}: same version, its
   * checksums follow it), else server-side copy (keeping the recorded checksums, see {@link #copy}), then
   * delete of the source. Returns the new object.
   */
  public ObjectInfo rename(String fromKey, String toKey) throws StoreException {
    if (store.movesInPlace() && !fromKey.endsWith("/")) {
      ObjectInfo moved = store.moveInPlace(fromKey, toKey);
      if (moved != null) {
        if (manifests != null) {
          // the move kept the version: the checksums recorded for it under the old key are its own
          ChunkManifest m = manifests.lookup(new ObjectInfo(fromKey, moved.size(), moved.version(),
              moved.lastModified(), moved.metadata()));
          retireOthers(toKey, moved.version());
          if (m.verifiable()) {
            manifests.put(moved.key(), moved.version(), m);
          }
          retireOthers(fromKey, null);
          manifests.forget(fromKey);
        }
        return moved;
      }
    }
    ObjectInfo copy = copy(fromKey, toKey);
    delete(fromKey);
    return copy;
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;

/**
 * The namespace operations of the mount (stat, list, small puts, delete, copy, metadata updates, rename)
 * over the engine's store, so that the fs layer never holds an {@link ObjectStore} itself. Rename is copy
 * then delete (stores have no rename); a directory is renamed object by object by the caller. Everything
 * else about bytes (chunked uploads, verified chunk reads) goes through {@link StreamingManager}.
 */
public final class Namespace {
  private static final int MAX_SMALL_OBJECT = 1 << 20;
  private final ObjectStore store;

  public Namespace(StreamingManager manager) {
    this(manager.store());
  }

  /** Over a store directly (tests, and the CLI before an engine exists). */
  public Namespace(ObjectStore store) {
    this.store = store;
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
    return store.put(key, data, metadata);
  }

  /** The whole body of a small object (a symlink's target); at most 1 MiB. */
  public byte[] readSmall(String key) throws IOException {
    try (InputStream in = store.read(key, 0, MAX_SMALL_OBJECT, null)) {
      return in.readAllBytes();
    }
  }

  public void delete(String key) throws StoreException {
    store.delete(key);
  }

  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    return store.copy(fromKey, toKey);
  }

  /** Replaces the user metadata of an existing object (callers merge with the old map first). */
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    return store.updateMetadata(key, metadata);
  }

  /** Moves one object: server-side copy, then delete of the source. Returns the new object. */
  public ObjectInfo rename(String fromKey, String toKey) throws StoreException {
    ObjectInfo moved = store.copy(fromKey, toKey);
    store.delete(fromKey);
    return moved;
  }
}

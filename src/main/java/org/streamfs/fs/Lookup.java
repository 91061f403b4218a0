package org.streamfs.fs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.transfer.Namespace;

/**
 * What the store says a path is, with a short-lived attribute cache: a file or symlink object at the key,
 * else a directory marker ({@code key/}), else a directory implied by keys below it. A directory listing
 * fills the cache for every object it returns, so {@code ls -l} of a large directory costs one listing,
 * not one stat per entry. Entries expire after {@code ttlMillis} (changes made by other clients of the
 * store show after that) and are dropped at once on changes made through this mount.
 */
final class Lookup {
  /** A resolved path: attributes and, for stored objects, the object (null for an implied directory). */
  record Entry(Attr attr, ObjectInfo object, long expires) {}

  private final Namespace ns;
  private final long uid;
  private final long gid;
  private final long ttlMillis;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  Lookup(Namespace ns, long uid, long gid, long ttlMillis) {
    this.ns = ns;
    this.uid = uid;
    this.gid = gid;
    this.ttlMillis = ttlMillis;
  }

  /** The stored entry for {@code key} (non-empty), or empty if nothing is there. */
  Optional<Entry> find(String key) throws StoreException {
    Entry e = cache.get(key);
    long now = System.currentTimeMillis();
    if (e != null && e.expires() > now) {
      return Optional.of(e);
    }
    Optional<ObjectInfo> obj = ns.find(key);
    if (obj.isEmpty()) {
      obj = ns.find(key + "/");
    }
    if (obj.isPresent()) {
      return Optional.of(remember(key, obj.get()));
    }
    Listing below = ns.list(key + "/");
    if (!below.objects().isEmpty() || !below.commonPrefixes().isEmpty()) {
      Entry dir = new Entry(Meta.impliedDir(uid, gid), null, now + ttlMillis);
      cache.put(key, dir);
      return Optional.of(dir);
    }
    return Optional.empty();
  }

  /** The stored entry, or ENOENT. */
  Entry get(String key) throws IOException {
    return find(key).orElseThrow(() -> FsException.of(Errno.ENOENT, "/" + key, "no such file or directory"));
  }

  /** Caches what a store call just returned about {@code key} (the object or its directory marker). */
  Entry remember(String key, ObjectInfo info) {
    Entry e = new Entry(Meta.attr(info, uid, gid), info, System.currentTimeMillis() + ttlMillis);
    cache.put(key, e);
    return e;
  }

  void invalidate(String key) {
    cache.remove(key);
  }

  void invalidateAll() {
    cache.clear();
  }

  /** Names directly in directory {@code key} ("" = root) from the store, caching file attributes. */
  List<String> list(String key) throws StoreException {
    String prefix = key.isEmpty() ? "" : key + "/";
    Listing l = ns.list(prefix);
    List<String> names = new ArrayList<>(l.objects().size() + l.commonPrefixes().size());
    for (ObjectInfo o : l.objects()) {
      String name = o.key().substring(prefix.length());
      if (name.isEmpty() || name.endsWith("/")) {
        continue;
      }
      remember(o.key(), o);
      names.add(name);
    }
    for (String p : l.commonPrefixes()) {
      String name = p.substring(prefix.length(), p.length() - 1);
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  /** True if the store holds anything below directory {@code key}. */
  boolean hasChildren(String key) throws StoreException {
    Listing l = ns.list(key + "/");
    return !l.objects().isEmpty() || !l.commonPrefixes().isEmpty();
  }
}

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
 * not one stat per entry, and is itself kept as long, so a second {@code ls} costs none. Entries and
 * listings expire after {@code ttlMillis} (changes made by other clients of the store show after that);
 * every change made through this mount passes through {@link #remember} or {@link #invalidate}, which
 * drop the entry and the listings of its directory (and its own, for a directory) at once.
 */
final class Lookup {
  /** A resolved path: attributes and, for stored objects, the object (null for an implied directory). */
  record Entry(Attr attr, ObjectInfo object, long expires) {}

  private final Namespace ns;
  private final long uid;
  private final long gid;
  private final long ttlMillis;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();
  private record CachedListing(List<String> names, long expires) {}

  private final Map<String, CachedListing> listings = new ConcurrentHashMap<>();
  /** Bumped by every change: a listing that raced with one is returned but not kept. */
  private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

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
      Entry dir = new Entry(Meta.impliedDir(key, uid, gid), null, now + ttlMillis);
      cache.put(key, dir);
      return Optional.of(dir);
    }
    cache.remove(key); // an expired entry of an object gone from the store is no longer "last seen"
    return Optional.empty();
  }

  /** The object this mount last saw at {@code key} (cached, even expired; no store call), or null. */
  ObjectInfo lastSeen(String key) {
    Entry e = cache.get(key);
    return e == null || e.attr().isDirectory() ? null : e.object();
  }

  /** The stored entry, or ENOENT. */
  Entry get(String key) throws IOException {
    return find(key).orElseThrow(() -> FsException.of(Errno.ENOENT, "/" + key, "no such file or directory"));
  }

  /** Caches what a store call just returned about {@code key} (the object or its directory marker). */
  Entry remember(String key, ObjectInfo info) {
    Entry e = cacheEntry(key, info);
    changed(key);
    return e;
  }

  private Entry cacheEntry(String key, ObjectInfo info) {
    Entry e = new Entry(Meta.attr(info, uid, gid), info, System.currentTimeMillis() + ttlMillis);
    cache.put(key, e);
    return e;
  }

  void invalidate(String key) {
    cache.remove(key);
    changed(key);
  }

  void invalidateAll() {
    cache.clear();
    synchronized (listings) {
      changes.incrementAndGet();
      listings.clear();
    }
  }

  /** {@code key} changed: its directory's listing, and its own if it is a directory, are stale. */
  private void changed(String key) {
    int slash = key.lastIndexOf('/');
    synchronized (listings) {
      changes.incrementAndGet();
      listings.remove(slash < 0 ? "" : key.substring(0, slash));
      listings.remove(key);
    }
  }

  /** Names directly in directory {@code key} ("" = root) from the store, caching file attributes. */
  List<String> list(String key) throws StoreException {
    CachedListing cached = listings.get(key);
    if (cached != null && cached.expires() > System.currentTimeMillis()) {
      return cached.names();
    }
    long before = changes.get();
    long expires = System.currentTimeMillis() + ttlMillis;
    String prefix = key.isEmpty() ? "" : key + "/";
    Listing l = ns.list(prefix);
    List<String> names = new ArrayList<>(l.objects().size() + l.commonPrefixes().size());
    for (ObjectInfo o : l.objects()) {
      String name = o.key().substring(prefix.length());
      if (name.isEmpty() || name.endsWith("/")) {
        continue;
      }
      cacheEntry(o.key(), o);
      names.add(name);
    }
    for (String p : l.commonPrefixes()) {
      String name = p.substring(prefix.length(), p.length() - 1);
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    List<String> result = List.copyOf(names);
    synchronized (listings) {
      if (changes.get() == before) {
        listings.put(key, new CachedListing(result, expires));
      }
    }
    return result;
  }

  /** True if the store holds anything below directory {@code key}. */
  boolean hasChildren(String key) throws StoreException {
    Listing l = ns.list(key + "/");
    return !l.objects().isEmpty() || !l.commonPrefixes().isEmpty();
  }
}

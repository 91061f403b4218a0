package org.streamfs.store.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Fills the user metadata of listed objects: ListObjectsV2 returns key, size, ETag and date but no
 * {@code x-amz-meta-*}, so each listed object gets one HEAD, {@value #PARALLEL} at a time on a small daemon
 * pool owned by the store. An object deleted between the listing and its HEAD is dropped from the answer;
 * one replaced in between is reported as it is now.
 */
final class S3Heads implements AutoCloseable {
  static final int PARALLEL = 8;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final S3Store store;
  private ExecutorService pool;

  S3Heads(S3Store store) {
    this.store = store;
  }

  private synchronized ExecutorService pool() {
    if (pool == null) {
      int n = POOLS.incrementAndGet();
      AtomicInteger threads = new AtomicInteger();
      pool = Executors.newFixedThreadPool(PARALLEL, r -> {
        Thread t = new Thread(r, "s3-head-" + n + "-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
    return pool;
  }

  List<ObjectInfo> withMetadata(List<ObjectInfo> listed) throws StoreException {
    if (listed.isEmpty()) {
      return listed;
    }
    List<Future<ObjectInfo>> futures = new ArrayList<>(listed.size());
    ExecutorService p = pool();
    for (ObjectInfo o : listed) {
      futures.add(p.submit(() -> head(o)));
    }
    List<ObjectInfo> out = new ArrayList<>(listed.size());
    try {
      for (Future<ObjectInfo> f : futures) {
        ObjectInfo o = f.get();
        if (o != null) {
          out.add(o);
        }
      }
    } catch (InterruptedException e) {
      futures.forEach(f -> f.cancel(true));
      Thread.currentThread().interrupt();
      throw new StoreException(StoreException.Kind.PERMANENT, null, "list interrupted", e);
    } catch (ExecutionException e) {
      futures.forEach(f -> f.cancel(true));
      if (e.getCause() instanceof StoreException se) {
        throw se;
      }
      throw new StoreException(StoreException.Kind.PERMANENT, null, "list: " + e.getCause(), e.getCause());
    }
    return out;
  }

  private ObjectInfo head(ObjectInfo o) throws StoreException {
    try {
      String full = store.full(o.key());
      return store.info(o.key(), store.client().headObject(b -> b.bucket(store.bucket()).key(full)));
    } catch (SdkException e) {
      StoreException se = store.errors().map("list (stat)", o.key(), e);
      if (se.kind() == StoreException.Kind.NOT_FOUND) {
        return null;
      }
      throw se;
    }
  }

  @Override
  public synchronized void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}

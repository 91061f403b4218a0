package org.streamfs.transfer.embeddings;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreLimits;

/**
 * Wraps a real store and counts what crosses it: parts uploaded per part number, parts copied server-side,
 * ranged reads and bytes read; optionally delays each part upload (a slow network) so a test can kill a
 * process mid-upload.
 */
final class CountingStore implements ObjectStore {
  final ObjectStore inner;
  final Map<Integer, AtomicInteger> partsSent = new ConcurrentHashMap<>();
  final AtomicInteger partsCopied = new AtomicInteger();
  final AtomicInteger reads = new AtomicInteger();
  volatile long partDelayMillis;

  CountingStore(ObjectStore inner) {
    this.inner = inner;
  }

  void reset() {
    partsSent.clear();
    partsCopied.set(0);
    reads.set(0);
  }

  int totalPartsSent() {
    return partsSent.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public StoreLimits limits() {
    return inner.limits();
  }

  @Override
  public void checkAccess() throws StoreException {
    inner.checkAccess();
  }

  @Override
  public ObjectInfo stat(String key) throws StoreException {
    return inner.stat(key);
  }

  @Override
  public Listing list(String prefix, String delimiter) throws StoreException {
    return inner.list(prefix, delimiter);
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    reads.incrementAndGet();
    return inner.read(key, offset, length, ifVersion);
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata) throws StoreException {
    return inner.put(key, data, metadata);
  }

  @Override
  public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
    return inner.beginUpload(key, metadata);
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    if (partDelayMillis > 0) {
      try {
        Thread.sleep(partDelayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    partsSent.computeIfAbsent(partNumber, k -> new AtomicInteger()).incrementAndGet();
    return inner.uploadPart(key, uploadId, partNumber, data, sha256);
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    partsCopied.incrementAndGet();
    return inner.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length);
  }

  @Override
  public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    return inner.listParts(key, uploadId);
  }

  @Override
  public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts)
      throws StoreException {
    return inner.completeUpload(key, uploadId, parts);
  }

  @Override
  public void abortUpload(String key, String uploadId) throws StoreException {
    inner.abortUpload(key, uploadId);
  }

  @Override
  public List<PendingUpload> listUploads(String prefix) throws StoreException {
    return inner.listUploads(prefix);
  }

  @Override
  public void delete(String key) throws StoreException {
    inner.delete(key);
  }

  @Override
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    return inner.copy(fromKey, toKey);
  }

  @Override
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    return inner.updateMetadata(key, metadata);
  }

  @Override
  public void close() {
    inner.close();
  }
}

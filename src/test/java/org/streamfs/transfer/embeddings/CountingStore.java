package org.streamfs.transfer.embeddings;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.middleware.StoreCall;
import org.streamfs.store.middleware.StoreDecorator;
import org.streamfs.store.middleware.StoreOp;

/**
 * Wraps a real store and counts what crosses it: parts uploaded per part number, parts copied server-side,
 * ranged reads; optionally delays each part upload (a slow network) so a test can kill a process
 * mid-upload. Every other call goes straight through {@link StoreDecorator}.
 */
final class CountingStore extends StoreDecorator {
  final Map<Integer, AtomicInteger> partsSent = new ConcurrentHashMap<>();
  final AtomicInteger partsCopied = new AtomicInteger();
  final AtomicInteger reads = new AtomicInteger();
  volatile long partDelayMillis;

  CountingStore(ObjectStore inner) {
    super(inner);
  }

  @Override
  protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
    return call.call();
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
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    reads.incrementAndGet();
    return super.read(key, offset, length, ifVersion);
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
    return super.uploadPart(key, uploadId, partNumber, data, sha256);
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    partsCopied.incrementAndGet();
    return super.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length);
  }
}

package org.streamfs.store.middleware;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;

/**
 * Counts what goes through to the wrapped store: calls and failures per {@link StoreOp}, bytes sent by
 * {@code uploadPart} and {@code put} (counted when the call is made, so a retried part counts twice: exactly
 * what a resume test wants to bound) and bytes received through streams returned by {@code read}. Counters
 * are lock-free and readable at any time by tests and by the engine's statistics.
 */
public final class MeteredStore extends StoreDecorator {
  private final Map<StoreOp, LongAdder> calls = new EnumMap<>(StoreOp.class);
  private final Map<StoreOp, LongAdder> failures = new EnumMap<>(StoreOp.class);
  private final LongAdder bytesSent = new LongAdder();
  private final LongAdder bytesReceived = new LongAdder();

  public MeteredStore(ObjectStore delegate) {
    super(delegate);
    for (StoreOp op : StoreOp.values()) {
      calls.put(op, new LongAdder());
      failures.put(op, new LongAdder());
    }
  }

  @Override
  protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
    calls.get(op).increment();
    try {
      return call.call();
    } catch (StoreException | RuntimeException e) {
      failures.get(op).increment();
      throw e;
    }
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    bytesSent.add(data.remaining());
    return super.uploadPart(key, uploadId, partNumber, data, sha256);
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    bytesSent.add(data.length);
    return super.put(key, data, metadata, expect);
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    return new CountingStream(super.read(key, offset, length, ifVersion));
  }

  /** Calls made of this operation (successful or not). */
  public long calls(StoreOp op) {
    return calls.get(op).sum();
  }

  /** Calls of this operation that failed. */
  public long failures(StoreOp op) {
    return failures.get(op).sum();
  }

  /** Bytes handed to uploadPart and put. */
  public long bytesSent() {
    return bytesSent.sum();
  }

  /** Bytes read from streams returned by read. */
  public long bytesReceived() {
    return bytesReceived.sum();
  }

  /** Calls per operation, for statistics output. */
  public Map<StoreOp, Long> snapshot() {
    Map<StoreOp, Long> out = new EnumMap<>(StoreOp.class);
    calls.forEach((op, n) -> out.put(op, n.sum()));
    return out;
  }

  /** Sets every counter back to zero. */
  public void reset() {
    calls.values().forEach(LongAdder::reset);
    failures.values().forEach(LongAdder::reset);
    bytesSent.reset();
    bytesReceived.reset();
  }

  private final class CountingStream extends FilterInputStream {
    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        bytesReceived.increment();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        bytesReceived.add(n);
      }
      return n;
    }
  }

  @Override
  public FileChannel openLocal(String key, String ifVersion) throws StoreException {
    return openLocalThrough(key, ifVersion);
  }
}

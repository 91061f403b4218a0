package org.streamfs.transfer;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A fixed set of direct buffers of one size: the only chunk-sized memory the engine holds, so memory stays
 * bounded by (buffers × chunk size) whatever the file size. {@link #acquire} blocks while all are lent out
 * (back-pressure on the reader); buffers are created lazily and reused.
 */
final class BufferPool {
  private final int capacity;
  private final int bufferSize;
  private final Deque<ByteBuffer> free = new ArrayDeque<>();
  private int created;

  BufferPool(int capacity, int bufferSize) {
    if (capacity < 1 || bufferSize < 1) {
      throw new IllegalArgumentException("pool of " + capacity + " x " + bufferSize);
    }
    this.capacity = capacity;
    this.bufferSize = bufferSize;
  }

  int bufferSize() {
    return bufferSize;
  }

  synchronized ByteBuffer acquire() throws InterruptedIOException {
    while (free.isEmpty() && created >= capacity) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for a chunk buffer");
      }
    }
    ByteBuffer b = free.poll();
    if (b == null) {
      b = aligned(bufferSize);
      created++;
    }
    b.clear();
    return b;
  }

  /**
   * A direct buffer whose first byte is on a 4 KiB boundary, so a store may write it with O_DIRECT (the
   * local store does: see store.local.LocalSlab#writeDirect).
   */
  static ByteBuffer aligned(int size) {
    ByteBuffer raw = ByteBuffer.allocateDirect(size + 4096);
    int off = raw.alignmentOffset(0, 4096);
    int start = off == 0 ? 0 : 4096 - off;
    return raw.slice(start, size);
  }

  synchronized void release(ByteBuffer b) {
    if (b != null) {
      free.push(b);
      notifyAll();
    }
  }
}

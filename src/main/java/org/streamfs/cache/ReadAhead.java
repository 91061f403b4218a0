package org.streamfs.cache;

/**
 * The read-ahead state of one open handle: a reader that continues near where its reads ended is
 * sequential, and its window (chunks fetched ahead) doubles on every chunk boundary it crosses, from 1 up
 * to {@code max}; a jump resets it to 0, so random readers cause no extra fetches. "Near" tolerates
 * {@link #SLACK} bytes (at most one chunk) either way, because the kernel's read-ahead requests reach a multi-threaded FUSE
 * loop slightly out of order.
 */
public final class ReadAhead {
  /** How far from the end of the reads so far a read may start and still count as sequential. */
  static final long SLACK = 1L << 20;
  private final int max;
  private long nextOffset = -1;
  private int window;
  private long lastChunk = -1;

  public ReadAhead(int max) {
    this.max = max;
  }

  /** Records a read of {@code [offset, offset+length)} in chunks of {@code chunkSize}; returns the window. */
  public synchronized int onRead(long offset, long length, long chunkSize) {
    long slack = chunkSize > 0 ? Math.min(SLACK, chunkSize) : SLACK;
    boolean sequential = nextOffset < 0 ? offset == 0 : Math.abs(offset - nextOffset) <= slack;
    nextOffset = sequential ? Math.max(nextOffset, offset + length) : offset + length;
    long chunk = chunkSize > 0 ? offset / chunkSize : 0;
    if (!sequential) {
      window = 0;
    } else if (chunk > lastChunk) {
      window = window == 0 ? 1 : Math.min(max, window * 2);
    }
    lastChunk = sequential ? Math.max(lastChunk, chunk) : chunk;
    return window;
  }

  public synchronized int window() {
    return window;
  }
}

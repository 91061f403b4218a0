package org.streamfs.cache;

/**
 * The read-ahead state of one open handle: a reader that continues where its last read ended is
 * sequential, and its window (chunks fetched ahead) doubles on every chunk boundary it crosses, from 1 up
 * to {@code max}; any jump resets it to 0, so random readers cause no extra fetches.
 */
public final class ReadAhead {
  private final int max;
  private long nextOffset = -1;
  private int window;
  private long lastChunk = -1;

  public ReadAhead(int max) {
    this.max = max;
  }

  /** Records a read of {@code [offset, offset+length)} in chunks of {@code chunkSize}; returns the window. */
  public synchronized int onRead(long offset, long length, long chunkSize) {
    boolean sequential = offset == nextOffset || (offset == 0 && nextOffset < 0);
    nextOffset = offset + length;
    long chunk = chunkSize > 0 ? offset / chunkSize : 0;
    if (!sequential) {
      window = 0;
    } else if (chunk != lastChunk) {
      window = window == 0 ? 1 : Math.min(max, window * 2);
    }
    lastChunk = chunk;
    return window;
  }

  public synchronized int window() {
    return window;
  }
}

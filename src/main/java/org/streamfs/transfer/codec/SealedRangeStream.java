package org.streamfs.transfer.codec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Plaintext bytes {@code [start, end)} of a sealed object as a stream: fetches and verifies one chunk at a
 * time, only when the reader gets to it, so memory stays at one chunk whatever the range. A chunk that
 * fails verification surfaces as the {@link org.streamfs.model.ChecksumMismatchException} from
 * {@link SealedReader#readChunk}, from {@code read}.
 */
final class SealedRangeStream extends InputStream {
  private final SealedReader reader;
  private long pos;
  private final long end;
  private ByteBuffer current;

  SealedRangeStream(SealedReader reader, long start, long end) {
    this.reader = reader;
    this.pos = start;
    this.end = end;
  }

  private boolean fill() throws IOException {
    while (current == null || !current.hasRemaining()) {
      if (pos >= end) {
        return false;
      }
      int chunk = reader.chunkAt(pos);
      ByteBuffer c = reader.readChunk(chunk);
      int from = (int) (pos - reader.chunkOffset(chunk));
      int to = (int) Math.min(c.limit(), from + (end - pos));
      current = c.position(from).limit(to);
    }
    return true;
  }

  /** Fetches the first chunk of the range now (so that errors surface before the stream is returned). */
  void prefetch() throws IOException {
    fill();
  }

  @Override
  public int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    pos++;
    return current.get() & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.remaining());
    current.get(b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return current == null ? 0 : current.remaining();
  }
}

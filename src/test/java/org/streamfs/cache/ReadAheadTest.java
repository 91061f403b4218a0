package org.streamfs.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The sequential detector: grows for a reader whose requests arrive slightly out of order, resets on jumps. */
class ReadAheadTest {
  static final long CHUNK = 8L << 20;
  static final long REQ = 128 << 10;

  @Test
  void windowGrowsForReorderedSequentialRequestsAndIsCapped() {
    ReadAhead ra = new ReadAhead(8);
    int w = 0;
    for (long base = 0; base < 6 * CHUNK; base += 2 * REQ) {
      ra.onRead(base + REQ, REQ, CHUNK); // the second request of a pair arrives first
      w = ra.onRead(base, REQ, CHUNK);
    }
    assertEquals(8, w, "doubling per chunk boundary, capped at max");
  }

  @Test
  void aJumpResetsTheWindow() {
    ReadAhead ra = new ReadAhead(8);
    for (long off = 0; off < 3 * CHUNK; off += REQ) {
      ra.onRead(off, REQ, CHUNK);
    }
    assertTrue(ra.window() > 1);
    assertEquals(0, ra.onRead(500 * CHUNK, 4096, CHUNK));
    assertEquals(0, ra.onRead(17 * CHUNK + 12345, 4096, CHUNK), "random readers never prefetch");
  }
}

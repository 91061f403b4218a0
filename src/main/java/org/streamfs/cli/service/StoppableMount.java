package org.streamfs.cli.service;

import java.time.Duration;

/**
 * What the stop policy needs from a running mount daemon: how much is still to upload, a bounded wait for it,
 * and an unmount. The mount command adapts its daemon to this, so {@link GracefulStop} knows nothing of FUSE
 * or the engine.
 */
public interface StoppableMount {
  /** Uploads of closed files not yet confirmed by the store. */
  record Pending(int uploads, long bytes) {
    public static final Pending NONE = new Pending(0, 0);

    public boolean isEmpty() {
      return uploads == 0;
    }
  }

  /** What is pending now. */
  Pending pending();

  /**
   * Waits at most {@code max} for the pending uploads to complete and returns what is still pending (returns
   * early when nothing is).
   */
  Pending awaitFlushed(Duration max) throws InterruptedException;

  /**
   * Unmounts now (lazily if files are still open) and makes the daemon's main loop return. Uploads still
   * pending stay in the catalog and resume at the next mount. Idempotent.
   */
  void unmount();
}

package org.streamfs.cli;

import java.time.Duration;
import org.streamfs.cli.service.StoppableMount;
import org.streamfs.fs.fuse.FuseMount;
import org.streamfs.transfer.StreamingManager;

/**
 * The running mount as the stop policy sees it ({@link org.streamfs.cli.service.GracefulStop}): pending
 * uploads are the engine's closed files not yet committed to the store; unmounting is the FUSE unmount,
 * after which the daemon's main loop returns and closes the engine.
 */
final class DaemonStop implements StoppableMount {
  private final StreamingManager engine;
  private final FuseMount mount;

  DaemonStop(StreamingManager engine, FuseMount mount) {
    this.engine = engine;
    this.mount = mount;
  }

  @Override
  public Pending pending() {
    int n = engine.pendingCompletions();
    return n == 0 ? Pending.NONE : new Pending(n, 0);
  }

  @Override
  public Pending awaitFlushed(Duration max) throws InterruptedException {
    return engine.awaitCommitted(max) ? Pending.NONE : pending();
  }

  @Override
  public void unmount() {
    try {
      mount.unmount();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package org.streamfs.cli;

import java.io.IOException;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.Stores;
import org.streamfs.store.middleware.StoreCall;
import org.streamfs.store.middleware.StoreDecorator;
import org.streamfs.store.middleware.StoreOp;

/**
 * Opens the store a mount names through {@link Stores#open} (an absolute path is taken as
 * {@code file://PATH}). With a read latency (a test-only option), every ranged read of an object waits
 * that long first, so tests can show that a cold read does not stall the rest of the mount.
 */
final class StoreOpener {
  private StoreOpener() {}

  static ObjectStore open(String uri, long readLatencyMillis) throws IOException {
    ObjectStore store = Stores.open(uri.startsWith("/") ? "file://" + uri : uri, true);
    return readLatencyMillis > 0 ? new SlowReads(store, readLatencyMillis) : store;
  }

  /** Test-only: delays ranged reads. */
  private static final class SlowReads extends StoreDecorator {
    private final long millis;

    SlowReads(ObjectStore d, long millis) {
      super(d);
      this.millis = millis;
    }

    @Override
    public String describe() {
      return delegate.describe() + " (reads delayed " + millis + " ms)";
    }

    @Override
    protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
      if (op == StoreOp.READ) {
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StoreException(StoreException.Kind.TRANSIENT, key, "interrupted", e);
        }
      }
      return call.call();
    }
  }
}

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
 * that long first, so tests can show that a cold read does not stall the rest of the mount. Likewise the
 * test-only environment variable {@code STREAMFS_TEST_PART_LATENCY_MS} delays every uploaded part, so tests
 * can stop the daemon while an upload is surely in flight (ServiceIT), and {@code
 * STREAMFS_TEST_PART_FAILURES=N} fails every Nth part upload or copy with a transient error, which the
 * engine must retry without the writer noticing (MountModelIT); {@code STREAMFS_TEST_FAIL_KEYS=REGEX} fails
 * every write of a matching key for good (UploadFailureIT), and {@code STREAMFS_TEST_HALT_AT=METHOD} kills the
 * process at the first call of that store method (ManifestCrashIT).
 */
final class StoreOpener {
  private StoreOpener() {}

  static ObjectStore open(String uri, long readLatencyMillis) throws IOException {
    ObjectStore store = Stores.open(uri.startsWith("/") ? "file://" + uri : uri, true);
    String part = System.getenv("STREAMFS_TEST_PART_LATENCY_MS");
    long partMillis = part == null || part.isBlank() ? 0 : Long.parseLong(part.strip());
    if (partMillis > 0) {
      store = new Slowed(store, StoreOp.UPLOAD_PART, partMillis);
    }
    String every = System.getenv("STREAMFS_TEST_PART_FAILURES");
    if (every != null && !every.isBlank()) {
      store = new Flaky(store, Integer.parseInt(every.strip()));
    }
    String halt = System.getenv("STREAMFS_TEST_HALT_AT");
    if (halt != null && !halt.isBlank()) {
      store = new Halting(store, halt.strip());
    }
    String refused = System.getenv("STREAMFS_TEST_FAIL_KEYS");
    if (refused != null && !refused.isBlank()) {
      store = new Refusing(store, java.util.regex.Pattern.compile(refused.strip()));
    }
    return readLatencyMillis > 0 ? new Slowed(store, StoreOp.READ, readLatencyMillis) : store;
  }

  /** Test-only: every write of a key matching the pattern fails for good (an upload that cannot land). */
  private static final class Refusing extends StoreDecorator {
    private static final java.util.Set<StoreOp> WRITES = java.util.EnumSet.of(StoreOp.PUT, StoreOp.UPLOAD_PART,
        StoreOp.COPY_PART, StoreOp.COMPLETE_UPLOAD, StoreOp.COPY);
    private final java.util.regex.Pattern keys;

    Refusing(ObjectStore d, java.util.regex.Pattern keys) {
      super(d);
      this.keys = keys;
    }

    @Override
    public String describe() {
      return delegate.describe() + " (writes of keys matching " + keys + " fail)";
    }

    @Override
    protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
      if (WRITES.contains(op) && key != null && keys.matcher(key).find()) {
        throw new StoreException(StoreException.Kind.PERMANENT, key, "injected permanent failure");
      }
      return call.call();
    }
  }

  /** Test-only: every Nth part upload or copy fails with a transient error before reaching the store. */
  private static final class Flaky extends StoreDecorator {
    private final int every;
    private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();

    Flaky(ObjectStore d, int every) {
      super(d);
      this.every = Math.max(2, every);
    }

    @Override
    public String describe() {
      return delegate.describe() + " (every " + every + "th part fails)";
    }

    @Override
    protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
      if ((op == StoreOp.UPLOAD_PART || op == StoreOp.COPY_PART) && calls.incrementAndGet() % every == 0) {
        throw new StoreException(StoreException.Kind.TRANSIENT, key, "injected transient failure");
      }
      return call.call();
    }
  }

  /**
   * Test-only: the process dies (as with kill -9: no shutdown hook, no flush) at the first call of one
   * store method ({@code STREAMFS_TEST_HALT_AT=writeManifest}, {@code completeUpload}, ...) on a key that
   * does not start with '.' (the store's own records), so tests can crash the daemon between two steps of
   * a publish.
   */
  private static final class Halting extends StoreDecorator {
    private final String method;

    Halting(ObjectStore d, String method) {
      super(d);
      this.method = method;
    }

    @Override
    protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
      if (op.method().equals(method) && key != null && !key.startsWith(".")) {
        System.err.println("streamfs: test halt at " + method + " of " + key);
        Runtime.getRuntime().halt(137);
      }
      return call.call();
    }
  }

  /** Test-only: delays one kind of call. */
  private static final class Slowed extends StoreDecorator {
    private final StoreOp slowed;
    private final long millis;

    Slowed(ObjectStore d, StoreOp slowed, long millis) {
      super(d);
      this.slowed = slowed;
      this.millis = millis;
    }

    @Override
    public String describe() {
      return delegate.describe() + " (" + slowed.method() + " delayed " + millis + " ms)";
    }

    @Override
    protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
      if (op == slowed) {
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

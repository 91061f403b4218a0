package org.streamfs.store.middleware;

import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Retries store calls that failed with a retryable kind (TRANSIENT, CHECKSUM) according to a
 * {@link RetryPolicy}; every other failure goes up at once (restic's {@code retry/backend_retry.go}). Each
 * retry is logged at WARN with the operation, the key and the attempt number (the message of a
 * {@link StoreException} never holds a credential). A {@code read} is retried only as a call: once the stream
 * is handed out, a failure while reading it is the caller's to handle (it knows how far it got). The sleeper
 * and the random source are injectable so tests run without waiting.
 */
public final class RetryingStore extends StoreDecorator {
  private static final Logger LOG = LoggerFactory.getLogger(RetryingStore.class);

  /** Waits between attempts; the default is {@link Thread#sleep}. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final RetryPolicy policy;
  private final Sleeper sleeper;
  private final DoubleSupplier random;

  public RetryingStore(ObjectStore delegate, RetryPolicy policy) {
    this(delegate, policy, d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000),
        () -> ThreadLocalRandom.current().nextDouble());
  }

  public RetryingStore(ObjectStore delegate, RetryPolicy policy, Sleeper sleeper, DoubleSupplier random) {
    super(delegate);
    this.policy = policy;
    this.sleeper = sleeper;
    this.random = random;
  }

  public RetryPolicy policy() {
    return policy;
  }

  @Override
  protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
    for (int retry = 1; ; retry++) {
      try {
        return call.call();
      } catch (StoreException e) {
        if (!e.retryable() || retry > policy.maxRetries()) {
          if (e.retryable() && policy.maxRetries() > 0) {
            LOG.warn("store {} {} failed after {} retries, giving up: {}", op.method(), key, policy.maxRetries(),
                e.getMessage());
          }
          throw e;
        }
        Duration d = policy.delayBefore(retry, random);
        LOG.warn("store {} {} failed (attempt {} of {}), retrying in {} ms: {}", op.method(), key, retry,
            policy.maxRetries() + 1, d.toMillis(), e.getMessage());
        try {
          sleeper.sleep(d);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          StoreException stop = new StoreException(Kind.TRANSIENT, key,
              "interrupted while waiting to retry " + op.method(), ie);
          stop.addSuppressed(e);
          throw stop;
        }
      }
    }
  }

  @Override
  public FileChannel openLocal(String key, String ifVersion) throws StoreException {
    return openLocalThrough(key, ifVersion);
  }
}

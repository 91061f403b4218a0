package org.streamfs.store.middleware;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How often and how patiently to retry a retryable store failure: at most {@code maxRetries} retries after
 * the first attempt; before retry {@code n} (1-based) wait {@code initialDelay}, doubled per retry when
 * {@code exponential}, never more than {@code maxDelay}, then shortened by up to {@code jitter} (a fraction
 * in [0, 1]) so that parallel uploaders do not retry in lock-step. {@link #DEFAULT} follows the seed:
 * 3 retries, 5 s, exponential, capped at 60 s.
 */
public record RetryPolicy(int maxRetries, Duration initialDelay, Duration maxDelay, boolean exponential,
    double jitter) {

  public static final RetryPolicy DEFAULT =
      new RetryPolicy(3, Duration.ofSeconds(5), Duration.ofSeconds(60), true, 0.2);

  /** No retries at all. */
  public static final RetryPolicy NONE = new RetryPolicy(0, Duration.ZERO, Duration.ZERO, false, 0);

  public RetryPolicy {
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must be >= 0, not " + maxRetries);
    }
    if (initialDelay == null || initialDelay.isNegative() || maxDelay == null || maxDelay.isNegative()) {
      throw new IllegalArgumentException("retry delays must be >= 0: " + initialDelay + ", " + maxDelay);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter must be in [0, 1], not " + jitter);
    }
  }

  /** The delay before retry {@code retry} (1-based); {@code random} yields values in [0, 1). */
  public Duration delayBefore(int retry, DoubleSupplier random) {
    long base = initialDelay.toNanos();
    if (exponential) {
      int shift = Math.min(Math.max(retry - 1, 0), 62);
      base = base > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : base << shift;
    }
    long capped = Math.min(base, maxDelay.toNanos());
    long jittered = capped - (long) (capped * jitter * random.getAsDouble());
    return Duration.ofNanos(Math.max(0, jittered));
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.StreamingTimeoutException;
import org.streamfs.store.StoreException;

/**
 * The engine's retry and timeout discipline (seed: max retries, retry delay, exponential backoff, timeout).
 * Each store call runs on the call pool and is abandoned after the timeout (a {@link
 * StreamingTimeoutException}); retryable failures (transient store errors, checksum mismatches, timeouts)
 * are retried with exponential backoff, capped and jittered; anything else fails at once.
 */
final class Retrier {
  private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

  /** A store call. */
  @FunctionalInterface
  interface Call<T> {
    T call() throws IOException;
  }

  /** Told about each retry (to count it in the catalog). */
  @FunctionalInterface
  interface RetryListener {
    void onRetry(int attempt, IOException cause);
  }

  private final StreamingConfig config;
  private final ExecutorService callPool;
  private final ExecutorService backgroundCallPool;

  /** Calls from upload threads go to {@code backgroundCallPool}, so they keep the upload niceness. */
  Retrier(StreamingConfig config, ExecutorService callPool, ExecutorService backgroundCallPool) {
    this.config = config;
    this.callPool = callPool;
    this.backgroundCallPool = backgroundCallPool;
  }

  static boolean retryable(IOException e) {
    if (e instanceof StoreException se) {
      return se.retryable();
    }
    return e instanceof StreamingTimeoutException || e instanceof ChecksumMismatchException;
  }

  /** Runs {@code call} with the timeout, retrying retryable failures up to max retries. */
  <T> T run(String what, Call<T> call, RetryListener listener) throws IOException {
    int attempt = 0;
    while (true) {
      try {
        return withTimeout(what, call);
      } catch (IOException e) {
        if (!retryable(e) || attempt >= config.maxRetries()) {
          throw e;
        }
        attempt++;
        Duration delay = delay(attempt);
        LOG.warn("{} failed ({}); retry {}/{} in {} ms", what, e.getMessage(), attempt,
            config.maxRetries(), delay.toMillis());
        if (listener != null) {
          listener.onRetry(attempt, e);
        }
        sleep(delay);
      }
    }
  }

  <T> T run(String what, Call<T> call) throws IOException {
    return run(what, call, null);
  }

  /** Backoff before retry {@code attempt} (1-based), by the store middleware's policy (capped, jittered). */
  Duration delay(int attempt) {
    return policy().delayBefore(attempt, ThreadLocalRandom.current()::nextDouble);
  }

  /** The same retry settings as a store-middleware policy (used for the namespace view of the store). */
  org.streamfs.store.middleware.RetryPolicy policy() {
    return new org.streamfs.store.middleware.RetryPolicy(config.maxRetries(), config.retryDelay(),
        config.maxRetryDelay(), config.exponentialBackoff(), 0.2);
  }

  private <T> T withTimeout(String what, Call<T> call) throws IOException {
    Duration timeout = config.timeout();
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      return call.call();
    }
    Callable<T> task = call::call;
    Future<T> f = (UploadPriority.onBackgroundThread() ? backgroundCallPool : callPool).submit(task);
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new StreamingTimeoutException(what + " timed out after " + timeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(what + " interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException(what + " failed", c);
    }
  }

  private static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}

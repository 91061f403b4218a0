package org.streamfs.store.middleware;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Bounds the duration of every store call: the call runs on a worker thread and the caller waits at most the
 * configured timeout; past it the worker is interrupted and the caller gets TRANSIENT "timed out after ...",
 * which a {@link RetryingStore} placed outside this one retries. A result that arrives after the caller gave
 * up is discarded (a stream returned by a late {@code read} is closed). Only the call is bounded, not the
 * reading of a stream it returned. A worker that ignores the interrupt may still be running when the caller
 * retries; the buffer of an abandoned {@code uploadPart} may then still be read by it, which the store's
 * checksum check turns into a CHECKSUM failure rather than wrong bytes.
 */
public final class TimeoutStore extends StoreDecorator {
  private static final int RUNNING = 0;
  private static final int DELIVERED = 1;
  private static final int ABANDONED = 2;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final Duration timeout;
  private final ExecutorService workers;

  public TimeoutStore(ObjectStore delegate, Duration timeout) {
    super(delegate);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("store call timeout must be positive, not " + timeout);
    }
    this.timeout = timeout;
    int pool = POOLS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf = r -> {
      Thread t = new Thread(r, "streamfs-store-call-" + pool + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.workers = Executors.newCachedThreadPool(tf);
  }

  public Duration timeout() {
    return timeout;
  }

  @Override
  protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
    AtomicInteger state = new AtomicInteger(RUNNING);
    Future<T> f;
    try {
      f = workers.submit(() -> {
        T r;
        try {
          r = call.call();
        } catch (Throwable t) {
          state.compareAndSet(RUNNING, DELIVERED);
          throw t;
        }
        if (!state.compareAndSet(RUNNING, DELIVERED) && r instanceof Closeable c) {
          closeQuietly(c);
        }
        return r;
      });
    } catch (RejectedExecutionException e) {
      throw new StoreException(Kind.PERMANENT, key, "store is closed", e);
    }
    boolean interrupted = false;
    try {
      return unwrap(key, () -> f.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException | InterruptedException e) {
      interrupted = e instanceof InterruptedException;
      if (state.compareAndSet(RUNNING, ABANDONED)) {
        f.cancel(true);
        if (interrupted) {
          Thread.currentThread().interrupt();
          throw new StoreException(Kind.TRANSIENT, key, op.method() + " interrupted", e);
        }
        throw new StoreException(Kind.TRANSIENT, key, op.method() + " timed out after " + human(timeout), e);
      }
      // the call finished just now: take its outcome
      try {
        return unwrap(key, f::get);
      } catch (TimeoutException | InterruptedException again) {
        throw new StoreException(Kind.TRANSIENT, key, op.method() + " interrupted", again);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private interface Waiter<T> {
    T get() throws InterruptedException, ExecutionException, TimeoutException;
  }

  private static <T> T unwrap(String key, Waiter<T> w)
      throws StoreException, InterruptedException, TimeoutException {
    try {
      return w.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof StoreException se) {
        throw se;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new StoreException(Kind.PERMANENT, key, "store call failed: " + c, c);
    }
  }

  static String human(Duration d) {
    if (d.toMillis() < 1000) {
      return d.toMillis() + " ms";
    }
    long s = d.toSeconds();
    return d.toMillisPart() == 0 ? s + " s" : String.format("%.1f s", d.toMillis() / 1000.0);
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // a late result nobody waits for
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
    super.close();
  }

  @Override
  public FileChannel openLocal(String key, String ifVersion) throws StoreException {
    return openLocalThrough(key, ifVersion);
  }
}

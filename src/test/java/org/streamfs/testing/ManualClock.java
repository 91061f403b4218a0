package org.streamfs.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.streamfs.store.middleware.RetryingStore;

/**
 * A clock that moves only when told, for tests of timing logic (backoff, retention, timeouts) that must not
 * wait. {@link #sleeper()} gives a {@link RetryingStore.Sleeper} that advances this clock instead of sleeping
 * and records each requested delay in {@link #sleeps()}.
 */
public final class ManualClock extends Clock {
  private Instant now;
  private final List<Duration> sleeps = new ArrayList<>();

  public ManualClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  public ManualClock(Instant start) {
    this.now = start;
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  public synchronized void advance(Duration d) {
    now = now.plus(d);
  }

  /** Every delay requested through {@link #sleeper()}, in order. */
  public synchronized List<Duration> sleeps() {
    return List.copyOf(sleeps);
  }

  /** A sleeper that records the delay and advances the clock by it, returning at once. */
  public RetryingStore.Sleeper sleeper() {
    return d -> {
      synchronized (this) {
        sleeps.add(d);
        now = now.plus(d);
      }
    };
  }
}

/**
 * Store middleware: decorators that wrap any {@link org.streamfs.store.ObjectStore} and add one concern
 * each, so that adapters stay simple (they never retry, time out or count) and the engine composes what it
 * needs.
 *
 * <p>{@link org.streamfs.store.middleware.StoreDecorator} forwards every SPI method through a single hook,
 * so a decorator is written once per concern rather than once per method.
 * {@link org.streamfs.store.middleware.RetryingStore} retries the retryable kinds (TRANSIENT, CHECKSUM) with
 * the exponential, capped, jittered backoff of a {@link org.streamfs.store.middleware.RetryPolicy} and fails
 * every other kind at once (restic {@code backend_retry.go}). {@link org.streamfs.store.middleware.TimeoutStore}
 * bounds each call and turns an overrun into TRANSIENT, so that it composes with retries.
 * {@link org.streamfs.store.middleware.MeteredStore} counts calls, failures and bytes for statistics and for
 * tests that bound what was re-sent.
 *
 * <p>The usual stack, outermost first: {@code Metered(Retrying(Timeout(adapter)))} — the timeout applies to
 * each attempt, the retry sees timeouts as transient, and the meter sees what the engine asked for. Put the
 * meter inside the retry instead ({@code Retrying(Metered(...))}) to count every attempt that reached the
 * store. A {@code read} is bounded and retried as a call only: reading the stream it returns is the caller's
 * business, because only the caller knows how far it got.
 */
package org.streamfs.store.middleware;

package org.streamfs.store.middleware;

import org.streamfs.store.StoreException;

/** One call to the wrapped store, as a decorator sees it: run it (possibly again, elsewhere, or not at all). */
@FunctionalInterface
public interface StoreCall<T> {
  T call() throws StoreException;
}

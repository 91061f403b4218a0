package org.streamfs.testing;

import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.middleware.StoreCall;
import org.streamfs.store.middleware.StoreDecorator;
import org.streamfs.store.middleware.StoreOp;

/** A decorator that changes nothing: tests override the one call they want to change (a race, a refusal). */
public class PassThrough extends StoreDecorator {
  public PassThrough(ObjectStore delegate) {
    super(delegate);
  }

  @Override
  protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
    return call.call();
  }
}

package org.streamfs.store;

import java.io.IOException;

/**
 * Every failure of an {@link ObjectStore}, with a {@link Kind} that decides what happens next:
 * {@code RetryingStore} retries only {@link Kind#TRANSIENT} and {@link Kind#CHECKSUM}, the fs layer maps each
 * kind to one errno. The message names the store key (never a credential).
 */
public class StoreException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What kind of failure; adapters must pick one, there is no "unknown". */
  public enum Kind {
    /** The key (or upload id) does not exist. */
    NOT_FOUND,
    /** Worth retrying: timeout, connection reset, 5xx, throttling. */
    TRANSIENT,
    /** The bytes the store received did not match the checksum sent with them. Retryable. */
    CHECKSUM,
    /** A conditional read failed: the object changed since it was pinned. */
    PRECONDITION_FAILED,
    /**
     * A conditional write ({@link Expect}) found another version at the key, or an object where none was
     * expected: nothing was written. Never retried: the caller decides (a conflict copy, or a failure).
     */
    CONFLICT,
    /** Wrong credentials or no permission. */
    ACCESS_DENIED,
    /** The store (or local disk) is full. */
    NO_SPACE,
    /** The key is not acceptable (escapes the root, too long, NUL...). */
    INVALID_KEY,
    /** Anything else that will fail the same way again. */
    PERMANENT;

    public boolean retryable() {
      return this == TRANSIENT || this == CHECKSUM;
    }
  }

  private final Kind kind;
  private final String key;

  public StoreException(Kind kind, String key, String message) {
    this(kind, key, message, null);
  }

  public StoreException(Kind kind, String key, String message, Throwable cause) {
    super(kind + (key == null ? "" : " [" + key + "]") + ": " + message, cause);
    this.kind = kind;
    this.key = key;
  }

  public Kind kind() {
    return kind;
  }

  /** The key concerned, or null. */
  public String key() {
    return key;
  }

  public boolean retryable() {
    return kind.retryable();
  }

  public static StoreException notFound(String key) {
    return new StoreException(Kind.NOT_FOUND, key, "no such object");
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import org.streamfs.store.ObjectInfo;

/**
 * A write through the mount lost a race: another writer replaced (or removed, or created) the object after
 * this write session started from its base version, and the store refused to publish over it. Carries what
 * the key holds now ({@link #current}, null if nothing) and, with {@code --on-conflict copy}, where this
 * write's bytes were published instead ({@link #copy}); with {@code fail}, {@link #copy} is null and the
 * staged bytes are kept for {@code streamfs recover}.
 */
public final class ConflictException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final transient ObjectInfo current;
  private final transient ObjectInfo copy;

  public ConflictException(String key, ObjectInfo current, ObjectInfo copy, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
    this.current = current;
    this.copy = copy;
  }

  /** The key written. */
  public String key() {
    return key;
  }

  /** The object the key holds now (the winner), or null if none. */
  public ObjectInfo current() {
    return current;
  }

  /** Where this write was published instead, or null (on-conflict fail, or no copy could be made). */
  public ObjectInfo copy() {
    return copy;
  }
}

package org.streamfs.model;

import java.util.Locale;

/**
 * Lifecycle of a {@link StreamingOperation}, as named by the seed design: PENDING (queued), IN_PROGRESS,
 * PAUSED (by a user or by the process ending), COMPLETED, FAILED and CANCELLED. Only the last three are
 * terminal; {@link #isActive()} tells the others apart.
 */
public enum OperationStatus {
  PENDING,
  IN_PROGRESS,
  PAUSED,
  COMPLETED,
  FAILED,
  CANCELLED;

  /** The seed's lower-case value, e.g. {@code in_progress}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True while the operation may still make progress (not COMPLETED, FAILED or CANCELLED). */
  public boolean isActive() {
    return this == PENDING || this == IN_PROGRESS || this == PAUSED;
  }
}

package org.streamfs.transfer;

import java.util.Locale;

/**
 * What a mount does with a write whose base version another writer replaced first (the store refused its
 * conditional completion): {@link #COPY} publishes it next to the winner under a conflict name, {@link #FAIL}
 * publishes nothing and keeps the staged bytes for {@code streamfs recover}, the operation failed with
 * reason {@code conflict}.
 */
public enum OnConflict {
  COPY,
  FAIL;

  /** Parses {@code copy} or {@code fail} (any case). */
  public static OnConflict parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("on-conflict must be copy or fail, not '" + s + "'", e);
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}

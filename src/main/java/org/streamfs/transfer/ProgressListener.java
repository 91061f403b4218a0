package org.streamfs.transfer;

import org.streamfs.model.StreamingOperation;

/**
 * The seed's progress callback: percent complete (0-100) and the operation's current record. Called from
 * engine threads after each confirmed chunk; must be quick and must not throw.
 */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (percent, op) -> {};

  void onProgress(double percent, StreamingOperation operation);
}

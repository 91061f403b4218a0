package org.streamfs.staging;

import java.io.IOException;

/**
 * A write that waited for staging room while the store confirmed nothing for the stall timeout: uploads are
 * failing or stalled, so the write fails (ENOSPC) instead of waiting forever. The file's earlier bytes stay
 * staged and are committed at close as usual.
 */
public final class StagingStalledException extends IOException {
  private static final long serialVersionUID = 1L;

  public StagingStalledException(String message) {
    super(message);
  }
}

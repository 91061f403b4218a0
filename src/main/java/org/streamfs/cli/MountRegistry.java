package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Finds the state directory of a running mount from its mount point. Placeholder until the mount's
 * registry lands: it answers with a clear error.
 */
final class MountRegistry {
  private MountRegistry() {}

  static Path stateDirOf(Path mountpoint) throws IOException {
    throw new java.nio.file.NoSuchFileException(mountpoint.toString(), null, "no streamfs mount known there");
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where an upload's bytes come from: a local file for {@code put}, or the mount's staging file while it is
 * still being written. Reads fill {@code dst} from its position to its limit with the bytes at
 * {@code offset} (zeros past the end of what was written).
 */
@FunctionalInterface
public interface ChunkSource {
  void read(long offset, ByteBuffer dst) throws IOException;
}

package org.streamfs.transfer.codec;

import java.io.IOException;

/**
 * How a {@link SealedReader} reads the stored object: bytes {@code [offset, offset+length)} of one object
 * version (the engine pins the version, e.g. with {@code ifVersion}). Returning fewer bytes than asked
 * means the object ended early, which the reader reports as a truncated object.
 */
@FunctionalInterface
public interface RangeReader {
  byte[] read(long offset, int length) throws IOException;
}

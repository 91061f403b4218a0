package org.streamfs.transfer.codec;

import java.nio.ByteBuffer;

/**
 * One sealed chunk ready to upload: {@code part} is the whole payload of multipart part {@code index + 1}
 * (header prepended for chunk 0, padding appended up to the store's minimum part size) and {@code info} is
 * what the engine records so {@link ObjectCodec#finish} can write the index.
 */
public record SealedFrame(ByteBuffer part, FrameInfo info) {}

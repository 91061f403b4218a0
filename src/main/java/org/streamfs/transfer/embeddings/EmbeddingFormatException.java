package org.streamfs.transfer.embeddings;

import java.io.IOException;

/**
 * Bad embedding input, named precisely: a raw length that is not a multiple of dim*4, a truncated or
 * unsupported {@code .npy} file, a non-finite value where refused, a vector of the wrong dimension. An upload
 * that meets one is aborted and leaves no partial collection.
 */
public final class EmbeddingFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public EmbeddingFormatException(String message) {
    super(message);
  }

  public EmbeddingFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}

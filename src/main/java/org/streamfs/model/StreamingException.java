package org.streamfs.model;

import java.io.IOException;

/**
 * Base of the engine's error vocabulary (the seed's error types). Each subclass names what went wrong and
 * on what, so a one-line message is enough for a person; {@code fs.Errno} maps each to one errno.
 */
public abstract class StreamingException extends IOException {
  private static final long serialVersionUID = 1L;

  protected StreamingException(String message, Throwable cause) {
    super(message, cause);
  }
}

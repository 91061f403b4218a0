package org.streamfs.model;

/** A store call or a whole operation took longer than the configured timeout. Retryable. */
public final class StreamingTimeoutException extends StreamingException {
  private static final long serialVersionUID = 1L;

  public StreamingTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}

package org.streamfs.model;

/**
 * An upload failed for good (or was cancelled with cleanup) and was rolled back: parts deleted, any object
 * previously at that key untouched, the source file untouched. Carries the seed's fields: message, reason
 * and retry count.
 */
public final class SagaRollbackRequiredException extends StreamingException {
  private static final long serialVersionUID = 1L;
  private final String reason;
  private final int retryCount;

  public SagaRollbackRequiredException(String message, String reason, int retryCount, Throwable cause) {
    super(message + ": " + reason + (retryCount > 0 ? " (after " + retryCount + " retries)" : ""), cause);
    this.reason = reason;
    this.retryCount = retryCount;
  }

  public String reason() {
    return reason;
  }

  public int retryCount() {
    return retryCount;
  }
}

package org.streamfs.model;

/**
 * A catalog record (operation, chunk or saga entry) could not be decoded. It names the operation so that
 * one operation can be restarted while the rest of the catalog keeps working.
 */
public final class ChunkMetadataCorruptException extends StreamingException {
  private static final long serialVersionUID = 1L;
  private final String operationId;

  public ChunkMetadataCorruptException(String operationId, String message, Throwable cause) {
    super("catalog record of operation " + operationId + " is corrupt: " + message
        + " (restart it with 'streamfs resume --restart " + operationId + "')", cause);
    this.operationId = operationId;
  }

  public String operationId() {
    return operationId;
  }
}

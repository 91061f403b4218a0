package org.streamfs.catalog;

import java.time.Instant;

/**
 * One compensation still owed by an operation (the saga log): what to undo if the operation has to be
 * rolled back. {@code action} is one of {@link Action}; {@code key} and {@code uploadId} name the remote
 * thing to undo, {@code path} a local one.
 */
public record SagaStep(String operationId, long sequence, Action action, String key, String uploadId,
    String path, Instant recordedAt) {

  /** The compensations the engine knows. */
  public enum Action {
    /** Abort a multipart upload on the store (deletes its parts). */
    ABORT_UPLOAD,
    /** Delete a partial local file (download in progress). */
    DELETE_LOCAL_PARTIAL
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.catalog.SagaStep;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.StoreException;

/**
 * The saga: before an operation creates something that would have to be undone (a multipart upload on the
 * store, a partial local file), it records the compensation in the catalog's saga log; when the operation
 * fails for good or is cancelled with cleanup, {@link #rollback} runs the compensations still owed (abort
 * the upload: parts deleted, the object previously at the key untouched; delete the partial file) and
 * removes each step once done. A step whose compensation fails stays in the log and is retried by the next
 * rollback or cleanup, so nothing is forgotten when the store is unreachable. Source files are never touched.
 */
final class Saga {
  private static final Logger LOG = LoggerFactory.getLogger(Saga.class);
  static final String PENDING = " (some compensations pending: retried by the mount's upkeep and by"
      + " 'streamfs cleanup')";
  private final EngineContext ctx;

  Saga(EngineContext ctx) {
    this.ctx = ctx;
  }

  void recordAbortUpload(StreamingOperation op, String uploadId) {
    ctx.catalog.addSagaStep(new SagaStep(op.operationId(), 0, SagaStep.Action.ABORT_UPLOAD, op.key(), uploadId,
        null, Instant.now()));
  }

  /** As {@link #recordAbortUpload(StreamingOperation, String)} for an upload at another key (a conflict copy). */
  void recordAbortUpload(String operationId, String key, String uploadId) {
    ctx.catalog.addSagaStep(new SagaStep(operationId, 0, SagaStep.Action.ABORT_UPLOAD, key, uploadId, null,
        Instant.now()));
  }

  void recordPartialFile(StreamingOperation op, Path partial) {
    ctx.catalog.addSagaStep(new SagaStep(op.operationId(), 0, SagaStep.Action.DELETE_LOCAL_PARTIAL, op.key(),
        null, partial.toString(), Instant.now()));
  }

  boolean isEmpty(String operationId) throws IOException {
    return ctx.catalog.sagaSteps(operationId).isEmpty();
  }

  /** Forgets compensations of an operation that completed (nothing to undo any more). */
  void forget(String operationId) throws IOException {
    for (SagaStep s : ctx.catalog.sagaSteps(operationId)) {
      ctx.catalog.removeSagaStep(s);
    }
  }

  /** Forgets the ABORT_UPLOAD step of one upload id (it was completed or replaced). */
  void forgetUpload(String operationId, String uploadId) throws IOException {
    for (SagaStep s : ctx.catalog.sagaSteps(operationId)) {
      if (s.action() == SagaStep.Action.ABORT_UPLOAD && uploadId.equals(s.uploadId())) {
        ctx.catalog.removeSagaStep(s);
      }
    }
  }

  /**
   * Runs the compensations still owed and records the operation as {@code status} with {@code reason}.
   * Returns true when every compensation succeeded.
   */
  boolean rollback(String operationId, OperationStatus status, String reason) throws IOException {
    boolean clean = compensate(operationId, null);
    StreamingOperation op = ctx.operation(operationId);
    ctx.catalog.putOperation(op.withUploadId(null).withChunksCompleted(0).withStatus(status,
        clean ? reason : reason + PENDING));
    return clean;
  }

  /**
   * After an operation completed with upload {@code keepUploadId}: its own step is dropped, compensations
   * owed by earlier attempts (an upload a failed rollback could not abort) are run now.
   */
  void settle(String operationId, String keepUploadId) throws IOException {
    if (keepUploadId != null) {
      forgetUpload(operationId, keepUploadId);
    }
    compensate(operationId, null);
  }

  /**
   * Runs again the compensations an ended operation still owes (its rollback could not reach the store);
   * true if it owed some and none is left. The operation's message then loses its "pending" note.
   */
  boolean retryOwed(String operationId) throws IOException {
    if (ctx.catalog.sagaSteps(operationId).isEmpty() || !compensate(operationId, null)) {
      return false;
    }
    StreamingOperation op = ctx.operation(operationId);
    if (op.error() != null && op.error().endsWith(PENDING)) {
      ctx.catalog.putOperation(op.withStatus(op.status(), op.error().substring(0, op.error().length()
          - PENDING.length()) + " (compensations done later)"));
    }
    return true;
  }

  /** Runs every compensation still owed by the operation; failed ones stay in the log. */
  private boolean compensate(String operationId, String skipUploadId) throws IOException {
    boolean clean = true;
    for (SagaStep s : ctx.catalog.sagaSteps(operationId)) {
      if (skipUploadId != null && skipUploadId.equals(s.uploadId())) {
        continue;
      }
      try {
        switch (s.action()) {
          case ABORT_UPLOAD -> ctx.retry.run("abort upload of " + s.key(),
              () -> {
                ctx.store.abortUpload(s.key(), s.uploadId());
                return null;
              });
          case DELETE_LOCAL_PARTIAL -> Files.deleteIfExists(Path.of(s.path()));
        }
        ctx.catalog.removeSagaStep(s);
        LOG.info("compensation of {}: {} {} done", operationId, s.action(), s.key());
      } catch (StoreException e) {
        if (e.kind() == StoreException.Kind.NOT_FOUND) {
          ctx.catalog.removeSagaStep(s);
        } else {
          clean = false;
          LOG.warn("compensation of {}: {} {} failed, kept in the saga log: {}", operationId, s.action(),
              s.key(), e.getMessage());
        }
      } catch (IOException e) {
        clean = false;
        LOG.warn("compensation of {}: {} {} failed, kept in the saga log: {}", operationId, s.action(), s.key(),
            e.getMessage());
      }
    }
    return clean;
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.streamfs.store.ObjectInfo;

/**
 * An upload whose bytes are still being written (a file open for writing in the mount). The writer tells it
 * which chunks changed ({@link #markDirty}) and which are complete ({@link #chunkComplete}: uploaded in the
 * background at once, while the writer goes on); {@link #commit} makes the object appear whole, copying
 * chunks that did not change from the base version server-side. Each staged upload is one catalog operation
 * (kind MOUNT_WRITE): after a crash, a committed one resumes, an uncommitted one is rolled back (its staged
 * bytes kept for {@code streamfs recover}).
 */
public interface StagedUpload {

  String operationId();

  /** The object key. */
  String key();

  /** Chunk size used for this upload. */
  long chunkSize();

  /** Chunk {@code index} now holds written bytes that differ from the base version: it is sent from staging. */
  void markDirty(int index);

  /**
   * Chunk {@code index} now reads as zeros (the file grew over it without writing it): it is sent from
   * staging, but holds no staged bytes and does not count against the staging bound.
   */
  void markZeroed(int index);

  /**
   * The file shrank to {@code newSize}: chunks from the one holding the new end on are superseded (a send
   * of one in flight drops its part instead of failing), chunks wholly past it are no longer dirty.
   * Called before the staged bytes shrink.
   */
  void truncated(long newSize);

  /** Bytes of chunks holding written data whose current content the store has not confirmed (holes not counted). */
  long unconfirmedBytes();

  /** Whether chunks of this upload are being sent right now. */
  boolean sending();

  /** How many dirty data chunks below chunk {@code below} are neither confirmed nor being sent. */
  int pushable(int below);

  /**
   * Sends every dirty data chunk below chunk {@code below} that is neither confirmed nor being sent (staging
   * is over its bound). May wait for room in the upload queue.
   */
  void pushDirty(int below);

  /**
   * Chunk {@code index} is completely written (e.g. a sequential writer moved past it): it may be uploaded
   * now. If it is written again later, call {@link #markDirty} again and it is re-sent. Non-blocking, but
   * may wait when the bounded upload queue is full (back-pressure).
   */
  void chunkComplete(int index);

  /**
   * The first background failure of this upload, or null. The fs layer reports it on the next write, flush
   * or fsync of the handle.
   */
  IOException failure();

  /**
   * Closes the upload at {@code size} bytes with the object's metadata: durably records that the file is
   * closed (after this returns, a crash resumes instead of rolling back), then completes in the background.
   * The future completes when the store holds the object.
   */
  CompletableFuture<ObjectInfo> commit(long size, Map<String, String> metadata) throws IOException;

  /**
   * Records durably that the file was closed at {@code size} bytes with {@code metadata}, without completing
   * the upload yet: the writer may go on writing (a file reopened soon after its close, within the mount's
   * write-back delay) and {@link #commit} later. After this returns, a crash resumes the upload with the
   * staged bytes as they are at the crash, instead of rolling it back: a closed file is never rolled back.
   */
  void seal(long size, Map<String, String> metadata) throws IOException;

  /** Rolls back: aborts the multipart upload on the store, keeps the staged bytes for the retention period. */
  void abort(String reason);

  /**
   * After {@link #commit} or {@link #seal}: the file's metadata changed while its upload runs (chmod, touch, setxattr). The
   * new entries replace those recorded at commit, in the catalog too, so an upload resumed after a stop
   * stores them. Does nothing before the commit or once the upload ended.
   */
  default void updateMetadata(Map<String, String> metadata) {}

  /** Uploaded bytes so far and the total known, for progress displays. */
  long bytesUploaded();
}

package org.streamfs.store;

import java.io.Closeable;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Map;

/**
 * The storage contract, shaped on S3 multipart upload because every backend can express it and it is what
 * makes uploads resumable and atomic. Keys are relative, {@code /}-separated, validated by
 * {@link StoreKeys#validate}; a key ending in {@code /} is a directory marker. Objects appear only whole:
 * through {@link #put} or {@link #completeUpload}. Adapters never retry (that is {@code RetryingStore}'s
 * job) and report every failure as a {@link StoreException} of the right kind. Implementations are
 * thread-safe.
 */
public interface ObjectStore extends Closeable {

  /** A description for messages and logs, e.g. {@code file:///srv/store}; never contains a secret. */
  String describe();

  /** Multipart limits of this store. */
  default StoreLimits limits() {
    return StoreLimits.UNLIMITED;
  }

  /**
   * How many chunk-sized heap arrays the store allocates while it sends one part (a sealing store: the
   * plaintext copy and the frame). The engine sizes automatic chunks and parallelism so that they fit its
   * heap budget too.
   */
  default int heapCopiesPerPart() {
    return 0;
  }

  /** Checks that the store is reachable and usable (credentials, bucket, directory); one clear error. */
  void checkAccess() throws StoreException;

  /** The object at {@code key}; NOT_FOUND if absent. */
  ObjectInfo stat(String key) throws StoreException;

  /**
   * Objects whose key starts with {@code prefix}. With a delimiter ({@code "/"}), keys that contain it
   * after the prefix are rolled up into common prefixes; with null, all keys below the prefix are listed.
   * A directory marker equal to the prefix itself is not listed.
   */
  Listing list(String prefix, String delimiter) throws StoreException;

  /**
   * Bytes {@code [offset, offset+length)} of the object; {@code length < 0} reads to the end. A range past
   * the end is cut at the end. With {@code ifVersion} non-null, fails with PRECONDITION_FAILED if the
   * object's version differs. The caller closes the stream.
   */
  InputStream read(String key, long offset, long length, String ifVersion) throws StoreException;

  /**
   * For a store whose objects are plain files on this machine: a read-only channel onto the file that holds
   * version {@code ifVersion} of the object (PRECONDITION_FAILED if it holds another version now, NOT_FOUND
   * if it is absent), which the caller closes; null for every other store. A reader may then read the
   * object in place instead of copying it into a cache on the same disk. A store or decorator that changes
   * or inspects the bytes {@link #read} returns gives null.
   */
  default FileChannel openLocal(String key, String ifVersion) throws StoreException {
    return null;
  }

  /**
   * Whether {@link #moveInPlace} can move objects (a local directory: a rename of the file). Callers that
   * would otherwise copy everything before deleting anything (a directory rename) move object by object
   * when it can.
   */
  default boolean movesInPlace() {
    return false;
  }

  /**
   * Moves object {@code fromKey} (not a directory marker) to {@code toKey} in one atomic step, replacing
   * what is there, without copying its bytes, and returns it under its new key with the same version;
   * NOT_FOUND if it is absent. Null when this store, or this object, cannot be moved so: the caller then
   * copies and deletes.
   */
  default ObjectInfo moveInPlace(String fromKey, String toKey) throws StoreException {
    return null;
  }

  /**
   * Moves everything below directory prefix {@code fromPrefix} (ending in {@code /}) to {@code toPrefix} in
   * one atomic step, versions unchanged, when the store can (a local directory: rename(2) of the directory,
   * onto nothing or an empty directory); false when it cannot, having changed nothing: the caller then moves
   * object by object. Only for stores that {@link #movesInPlace}.
   */
  default boolean movePrefixInPlace(String fromPrefix, String toPrefix) throws StoreException {
    return false;
  }

  /** Stores a small object whole and atomically (directory markers, symlinks, small files). */
  default ObjectInfo put(String key, byte[] data, Map<String, String> metadata) throws StoreException {
    return put(key, data, metadata, Expect.ANY);
  }

  /**
   * As {@link #put(String, byte[], Map)}, only if the key holds what {@code expect} says when the object
   * lands; CONFLICT (nothing written) if not. Implementations and decorators override this one.
   */
  ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect) throws StoreException;

  /** Starts a multipart upload; the metadata is given to the object at completion. */
  String beginUpload(String key, Map<String, String> metadata) throws StoreException;

  /**
   * Uploads part {@code partNumber} (1-based) of an upload: the buffer's remaining bytes, which must hash to
   * {@code sha256} (the store checks it where it can: CHECKSUM if not). Re-uploading a part number replaces
   * it. The buffer's position is not changed.
   */
  PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException;

  /** Fills part {@code partNumber} server-side with bytes {@code [offset, offset+length)} of another object. */
  PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey, String sourceVersion,
      long offset, long length) throws StoreException;

  /** The parts the store really holds for this upload (the truth on resume); NOT_FOUND if the upload is gone. */
  List<PartReceipt> listParts(String key, String uploadId) throws StoreException;

  /**
   * Makes the object appear, atomically, from the given parts in order (all but the last at least
   * {@link StoreLimits#minPartSize()}); parts not named are discarded. A previous object at the key is
   * replaced only now.
   */
  default ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts) throws StoreException {
    return completeUpload(key, uploadId, parts, Expect.ANY);
  }

  /**
   * As {@link #completeUpload(String, String, List)}, only if the key holds what {@code expect} says when the
   * object appears; CONFLICT if not, with nothing published and the upload kept (the caller aborts it).
   * Implementations and decorators override this one.
   */
  ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts, Expect expect)
      throws StoreException;

  /** Discards an upload and its parts; the object at the key (if any) is untouched. Idempotent. */
  void abortUpload(String key, String uploadId) throws StoreException;

  /**
   * Uploads begun under {@code prefix} and neither completed nor aborted, each with the time it began by the
   * store's clock (null if the store cannot tell). A listed key and upload id are what {@link #abortUpload}
   * takes, also in another process than the one that began the upload: {@code streamfs cleanup --orphans}
   * aborts uploads no catalog references this way. A store shared with other tools lists only the uploads
   * this tool began (S3: those in its ledger), so that such a cleanup never touches theirs.
   */
  List<PendingUpload> listUploads(String prefix) throws StoreException;

  /** Removes the object (an empty directory marker for a key ending in /). Absent is not an error. */
  void delete(String key) throws StoreException;

  /** Server-side copy of a whole object with its metadata. */
  ObjectInfo copy(String fromKey, String toKey) throws StoreException;

  /** Replaces the user metadata of an existing object, keeping its bytes. */
  ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException;

  /**
   * Whether this store keeps manifests next to its objects ({@link #readManifest}, {@link #writeManifest}):
   * the local and S3 stores in a hidden sidecar per key, CouchDB in the document itself. Sidecars never
   * appear in listings and their keys are refused like every reserved name.
   */
  default boolean keepsManifests() {
    return false;
  }

  /**
   * The manifest the store keeps for {@code key}, or null if it has none (or none it can read). It may
   * name another version than the object's current one: callers check {@link StoredManifest#vouchesFor}.
   */
  default StoredManifest readManifest(String key) throws StoreException {
    return null;
  }

  /**
   * Keeps {@code m} as the manifest of {@code m.key()}, replacing the one kept before; atomic (a reader
   * sees the old manifest or the new one). A store whose objects carry their own manifest (CouchDB) does
   * nothing; one that does not {@link #keepsManifests} does nothing either.
   */
  default void writeManifest(StoredManifest m) throws StoreException {}

  /** Removes the manifest kept for {@code key}; absent is not an error. */
  default void deleteManifest(String key) throws StoreException {}

  /**
   * The ids ({@link StoredManifest#sidecarId}) of every sidecar this store holds, for a scrub to find those
   * whose object is gone; empty for a store without sidecars.
   */
  default List<String> listManifestIds() throws StoreException {
    return List.of();
  }

  /** The sidecar with this id (from {@link #listManifestIds}), or null if it is gone or unreadable. */
  default StoredManifest readManifestById(String id) throws StoreException {
    return null;
  }

  /** Removes the sidecar with this id; absent is not an error. */
  default void deleteManifestById(String id) throws StoreException {}

  @Override
  void close();
}

package org.streamfs.store.middleware;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Map;
import org.streamfs.store.Expect;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreLimits;
import org.streamfs.store.StoredManifest;

/**
 * Base of the store middleware: forwards every SPI method to the wrapped store through one hook,
 * {@link #around}, which a decorator implements once (retry, time out, count) instead of fifteen times. A
 * decorator that must see the bytes (counting, corrupting) also overrides the method concerned and calls
 * {@code super}. {@code describe}, {@code limits} and {@code close} go straight through.
 */
public abstract class StoreDecorator implements ObjectStore {
  protected final ObjectStore delegate;

  protected StoreDecorator(ObjectStore delegate) {
    this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
  }

  /** Runs one call of the wrapped store; {@code key} is the key concerned (or the prefix), for messages. */
  protected abstract <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException;

  /** The wrapped store. */
  public ObjectStore delegate() {
    return delegate;
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  @Override
  public StoreLimits limits() {
    return delegate.limits();
  }

  @Override
  public int heapCopiesPerPart() {
    return delegate.heapCopiesPerPart();
  }

  @Override
  public void checkAccess() throws StoreException {
    around(StoreOp.CHECK_ACCESS, null, () -> {
      delegate.checkAccess();
      return null;
    });
  }

  @Override
  public ObjectInfo stat(String key) throws StoreException {
    return around(StoreOp.STAT, key, () -> delegate.stat(key));
  }

  @Override
  public Listing list(String prefix, String delimiter) throws StoreException {
    return around(StoreOp.LIST, prefix, () -> delegate.list(prefix, delimiter));
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    return around(StoreOp.READ, key, () -> delegate.read(key, offset, length, ifVersion));
  }

  /**
   * Null: bytes read in place would bypass what a decorator does to {@link #read} (count, corrupt, delay).
   * A decorator that only surrounds calls hands the wrapped store's channel on with {@link #openLocalThrough}.
   */
  @Override
  public FileChannel openLocal(String key, String ifVersion) throws StoreException {
    return null;
  }

  /** The wrapped store's {@link #openLocal}, run through {@link #around} as a read. */
  protected final FileChannel openLocalThrough(String key, String ifVersion) throws StoreException {
    return around(StoreOp.READ, key, () -> delegate.openLocal(key, ifVersion));
  }

  /** Final: a decorator overrides the conditional form, which every put reaches. */
  @Override
  public final ObjectInfo put(String key, byte[] data, Map<String, String> metadata) throws StoreException {
    return put(key, data, metadata, Expect.ANY);
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    return around(StoreOp.PUT, key, () -> delegate.put(key, data, metadata, expect));
  }

  @Override
  public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
    return around(StoreOp.BEGIN_UPLOAD, key, () -> delegate.beginUpload(key, metadata));
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    return around(StoreOp.UPLOAD_PART, key, () -> delegate.uploadPart(key, uploadId, partNumber, data, sha256));
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    return around(StoreOp.COPY_PART, key,
        () -> delegate.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length));
  }

  @Override
  public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    return around(StoreOp.LIST_PARTS, key, () -> delegate.listParts(key, uploadId));
  }

  /** Final: a decorator overrides the conditional form, which every completion reaches. */
  @Override
  public final ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts)
      throws StoreException {
    return completeUpload(key, uploadId, parts, Expect.ANY);
  }

  @Override
  public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts, Expect expect)
      throws StoreException {
    return around(StoreOp.COMPLETE_UPLOAD, key, () -> delegate.completeUpload(key, uploadId, parts, expect));
  }

  @Override
  public void abortUpload(String key, String uploadId) throws StoreException {
    around(StoreOp.ABORT_UPLOAD, key, () -> {
      delegate.abortUpload(key, uploadId);
      return null;
    });
  }

  @Override
  public List<PendingUpload> listUploads(String prefix) throws StoreException {
    return around(StoreOp.LIST_UPLOADS, prefix, () -> delegate.listUploads(prefix));
  }

  @Override
  public void delete(String key) throws StoreException {
    around(StoreOp.DELETE, key, () -> {
      delegate.delete(key);
      return null;
    });
  }

  @Override
  public boolean movesInPlace() {
    return delegate.movesInPlace();
  }

  /** The wrapped store's move, run through {@link #around} as a copy (a fault rule for copies applies). */
  @Override
  public ObjectInfo moveInPlace(String fromKey, String toKey) throws StoreException {
    return delegate.movesInPlace() ? around(StoreOp.COPY, toKey, () -> delegate.moveInPlace(fromKey, toKey))
        : null;
  }

  /** The wrapped store's prefix move, run through {@link #around} as a copy. */
  @Override
  public boolean movePrefixInPlace(String fromPrefix, String toPrefix) throws StoreException {
    return delegate.movesInPlace()
        && around(StoreOp.COPY, toPrefix, () -> delegate.movePrefixInPlace(fromPrefix, toPrefix));
  }

  @Override
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    return around(StoreOp.COPY, toKey, () -> delegate.copy(fromKey, toKey));
  }

  @Override
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    return around(StoreOp.UPDATE_METADATA, key, () -> delegate.updateMetadata(key, metadata));
  }

  @Override
  public boolean keepsManifests() {
    return delegate.keepsManifests();
  }

  @Override
  public StoredManifest readManifest(String key) throws StoreException {
    return around(StoreOp.READ_MANIFEST, key, () -> delegate.readManifest(key));
  }

  @Override
  public void writeManifest(StoredManifest m) throws StoreException {
    around(StoreOp.WRITE_MANIFEST, m.key(), () -> {
      delegate.writeManifest(m);
      return null;
    });
  }

  @Override
  public void deleteManifest(String key) throws StoreException {
    around(StoreOp.DELETE_MANIFEST, key, () -> {
      delegate.deleteManifest(key);
      return null;
    });
  }

  @Override
  public List<String> listManifestIds() throws StoreException {
    return around(StoreOp.LIST_MANIFESTS, null, delegate::listManifestIds);
  }

  @Override
  public StoredManifest readManifestById(String id) throws StoreException {
    return around(StoreOp.READ_MANIFEST, id, () -> delegate.readManifestById(id));
  }

  @Override
  public void deleteManifestById(String id) throws StoreException {
    around(StoreOp.DELETE_MANIFEST, id, () -> {
      delegate.deleteManifestById(id);
      return null;
    });
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + delegate + ")";
  }
}

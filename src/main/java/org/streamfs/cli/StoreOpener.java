package org.streamfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreLimits;
import org.streamfs.store.local.LocalStore;

/**
 * Opens the store a mount names: {@code file:///abs/dir} or an absolute path (the local-directory store).
 * Other schemes are refused with a message naming them. With a read latency (a test-only option), every
 * ranged read of an object waits that long first, so tests can show that a cold read does not stall the
 * rest of the mount.
 */
final class StoreOpener {
  private StoreOpener() {}

  static ObjectStore open(String uri, long readLatencyMillis) throws IOException {
    ObjectStore store;
    if (uri.startsWith("/")) {
      store = LocalStore.open(Path.of(uri), true);
    } else if (uri.startsWith("file:")) {
      store = LocalStore.open(Path.of(URI.create(uri)), true);
    } else {
      String scheme = uri.contains(":") ? uri.substring(0, uri.indexOf(':')) : uri;
      throw new IOException("store scheme '" + scheme + "' is not supported by the mount yet (use file:///DIR)");
    }
    return readLatencyMillis > 0 ? new SlowReads(store, readLatencyMillis) : store;
  }

  /** Test-only: delays ranged reads. */
  private static final class SlowReads implements ObjectStore {
    private final ObjectStore d;
    private final long millis;

    SlowReads(ObjectStore d, long millis) {
      this.d = d;
      this.millis = millis;
    }

    @Override
    public String describe() {
      return d.describe() + " (reads delayed " + millis + " ms)";
    }

    @Override
    public StoreLimits limits() {
      return d.limits();
    }

    @Override
    public void checkAccess() throws StoreException {
      d.checkAccess();
    }

    @Override
    public ObjectInfo stat(String key) throws StoreException {
      return d.stat(key);
    }

    @Override
    public Listing list(String prefix, String delimiter) throws StoreException {
      return d.list(prefix, delimiter);
    }

    @Override
    public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException(StoreException.Kind.TRANSIENT, key, "interrupted", e);
      }
      return d.read(key, offset, length, ifVersion);
    }

    @Override
    public ObjectInfo put(String key, byte[] data, Map<String, String> metadata) throws StoreException {
      return d.put(key, data, metadata);
    }

    @Override
    public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
      return d.beginUpload(key, metadata);
    }

    @Override
    public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
        throws StoreException {
      return d.uploadPart(key, uploadId, partNumber, data, sha256);
    }

    @Override
    public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
        String sourceVersion, long offset, long length) throws StoreException {
      return d.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length);
    }

    @Override
    public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
      return d.listParts(key, uploadId);
    }

    @Override
    public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts)
        throws StoreException {
      return d.completeUpload(key, uploadId, parts);
    }

    @Override
    public void abortUpload(String key, String uploadId) throws StoreException {
      d.abortUpload(key, uploadId);
    }

    @Override
    public List<PendingUpload> listUploads(String prefix) throws StoreException {
      return d.listUploads(prefix);
    }

    @Override
    public void delete(String key) throws StoreException {
      d.delete(key);
    }

    @Override
    public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
      return d.copy(fromKey, toKey);
    }

    @Override
    public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
      return d.updateMetadata(key, metadata);
    }

    @Override
    public void close() {
      d.close();
    }
  }
}

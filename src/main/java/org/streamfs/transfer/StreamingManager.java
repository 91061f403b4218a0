package org.streamfs.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;

/**
 * The engine (the seed's StreamingManager): chunked, checksummed, resumable uploads and downloads between
 * local files and an {@link ObjectStore}, with state in a {@link Catalog}. API skeleton; being implemented.
 */
public final class StreamingManager implements AutoCloseable {

  public StreamingManager(ObjectStore store, Catalog catalog, StreamingConfig config) {
    throw new UnsupportedOperationException("engine: being implemented");
  }

  public StreamingConfig config() { throw new UnsupportedOperationException(); }
  public ObjectStore store() { throw new UnsupportedOperationException(); }
  public Catalog catalog() { throw new UnsupportedOperationException(); }

  /** Uploads a file; blocks until the object is complete; returns the operation id. */
  public String uploadFile(Path file, String destination, ProgressListener progress,
      Map<String, String> metadata) throws IOException { throw new UnsupportedOperationException(); }

  /** Downloads an object into a file (via a partial file renamed into place when whole and verified). */
  public String downloadFile(String key, Path destination, ProgressListener progress) throws IOException {
    throw new UnsupportedOperationException();
  }

  public boolean resumeUpload(String operationId, ProgressListener progress) throws IOException {
    throw new UnsupportedOperationException();
  }

  public boolean resumeDownload(String operationId, ProgressListener progress) throws IOException {
    throw new UnsupportedOperationException();
  }

  public String restartUpload(String operationId, ProgressListener progress) throws IOException {
    throw new UnsupportedOperationException();
  }

  public StreamingOperation getOperation(String operationId) throws IOException {
    throw new UnsupportedOperationException();
  }

  public List<StreamingOperation> listActiveOperations() { throw new UnsupportedOperationException(); }

  public boolean cancelOperation(String operationId, boolean cleanup) throws IOException {
    throw new UnsupportedOperationException();
  }

  public boolean verifyUpload(String operationId) throws IOException {
    throw new UnsupportedOperationException();
  }

  public int cleanupOldOperations(int retentionDays) throws IOException {
    throw new UnsupportedOperationException();
  }

  public boolean waitForOperations(Collection<String> operationIds, Duration timeout)
      throws InterruptedException { throw new UnsupportedOperationException(); }

  // ---- primitives for the mount ----

  /**
   * Starts a staged upload of {@code key} from {@code stagingFile} (which the caller keeps writing). With
   * {@code base} non-null, chunks never marked dirty are copied from that object version server-side.
   */
  public StagedUpload openStagedUpload(String key, Path stagingFile, ObjectInfo base) throws IOException {
    throw new UnsupportedOperationException();
  }

  /** Called with every operation that reaches a terminal state (e.g. so staging can free its space). */
  public void addCompletionListener(Consumer<StreamingOperation> listener) {
    throw new UnsupportedOperationException();
  }

  /** How this object version was chunked (recorded at upload), or a default layout without checksums. */
  public ChunkManifest manifest(ObjectInfo object) { throw new UnsupportedOperationException(); }

  /**
   * Reads chunk {@code index} of the object into {@code dst} (position to limit = the chunk's size), with
   * retries, verified against the manifest (fetched again once on mismatch, then ChecksumMismatchException).
   */
  public void fetchChunk(ObjectInfo object, ChunkManifest manifest, int index, ByteBuffer dst)
      throws IOException { throw new UnsupportedOperationException(); }

  /**
   * Run at mount start: staged uploads committed before a crash resume in the background; those still open
   * are rolled back (status FAILED, staged bytes kept). Returns the operations it acted on.
   */
  public List<StreamingOperation> recoverStagedUploads() throws IOException {
    throw new UnsupportedOperationException();
  }

  /** Writes the bytes a rolled-back staged upload held (base version overlaid with staged chunks) to dest. */
  public void recoverStaged(String operationId, Path dest) throws IOException {
    throw new UnsupportedOperationException();
  }

  /** Waits until every committed upload is in the store (the sync barrier); false on timeout. */
  public boolean awaitCommitted(Duration timeout) throws InterruptedException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {}
}

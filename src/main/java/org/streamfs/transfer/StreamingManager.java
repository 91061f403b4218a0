package org.streamfs.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;

/**
 * The engine (the seed's StreamingManager): chunked, checksummed, resumable uploads and downloads between
 * local files and an {@link ObjectStore}, with all state in a {@link Catalog}, plus the primitives the mount
 * builds on (staged uploads, verified chunk fetches). Memory stays bounded by parallel chunks × chunk size.
 * This class is the public face; the work is done by {@link FileUploader}, {@link FileDownloader},
 * {@link StagedUploads}, {@link ChunkFetcher}, {@link Verifier} and the {@link Saga}.
 */
public final class StreamingManager implements AutoCloseable {
  private final EngineContext ctx;
  private final Saga saga;
  private final FileUploader uploader;
  private final FileDownloader downloader;
  private final ChunkFetcher fetcher;
  private final StagedUploads staged;
  private final Verifier verifier;
  private final ObjectStore namespaceStore;
  private org.streamfs.transfer.embeddings.EmbeddingStore embeddings;
  private final ExecutorService async = Executors.newCachedThreadPool(EngineContext.daemon("streamfs-op"));

  public StreamingManager(ObjectStore store, Catalog catalog, StreamingConfig config) {
    this.ctx = new EngineContext(store, catalog, config);
    this.saga = new Saga(ctx);
    this.fetcher = new ChunkFetcher(ctx);
    this.uploader = new FileUploader(ctx, saga);
    this.downloader = new FileDownloader(ctx, saga, fetcher);
    this.staged = new StagedUploads(ctx, saga);
    this.verifier = new Verifier(ctx, fetcher);
    ObjectStore timed = config.timeout() == null || config.timeout().isZero() ? store
        : new org.streamfs.store.middleware.TimeoutStore(store, config.timeout());
    this.namespaceStore = new org.streamfs.store.middleware.RetryingStore(timed, ctx.retry.policy());
  }

  public StreamingConfig config() {
    return ctx.config;
  }

  /**
   * The store for namespace operations (stat, list, small puts, deletes, renames, metadata): calls are
   * timed out and retried by the store middleware with the engine's settings. Transfers use their own
   * per-chunk retries, which count into the operation's retry count.
   */
  public ObjectStore store() {
    return namespaceStore;
  }

  public Catalog catalog() {
    return ctx.catalog;
  }

  /** Uploads a file; blocks until the object is complete; returns the operation id. */
  public String uploadFile(Path file, String destination, ProgressListener progress,
      Map<String, String> metadata) throws IOException {
    StreamingOperation op = uploader.create(file, FileUploader.keyFor(file, destination), metadata);
    uploader.run(op.operationId(), progress);
    return op.operationId();
  }

  /** Starts an upload in the background (the seed's {@code parallel=True}); returns its id at once. */
  public String startUpload(Path file, String destination, ProgressListener progress,
      Map<String, String> metadata) throws IOException {
    StreamingOperation op = uploader.create(file, FileUploader.keyFor(file, destination), metadata);
    async.execute(() -> {
      try {
        uploader.run(op.operationId(), progress);
      } catch (IOException | RuntimeException e) {
        // recorded in the catalog (FAILED / CANCELLED); waitForOperations reports it
      }
    });
    return op.operationId();
  }

  /** Downloads an object into a file (via a partial file renamed into place when whole and verified). */
  public String downloadFile(String key, Path destination, ProgressListener progress) throws IOException {
    StreamingOperation op = downloader.create(key, destination);
    downloader.run(op.operationId(), progress);
    return op.operationId();
  }

  /** Creates the operation record of a download without running it (the CLI prints its id first). */
  public String prepareDownload(String key, Path destination) throws IOException {
    return downloader.create(key, destination).operationId();
  }

  /** Creates the operation record of an upload without running it (the CLI prints its id first). */
  public String prepareUpload(Path file, String destination, Map<String, String> metadata) throws IOException {
    return uploader.create(file, FileUploader.keyFor(file, destination), metadata).operationId();
  }

  /** Runs a prepared or interrupted operation of either kind to completion. */
  public boolean resume(String operationId, ProgressListener progress) throws IOException {
    StreamingOperation op = ctx.operation(operationId);
    return switch (op.kind()) {
      case UPLOAD -> resumeUpload(operationId, progress);
      case DOWNLOAD -> resumeDownload(operationId, progress);
      case MOUNT_WRITE -> throw new IOException("operation " + operationId + " belongs to a mount: it resumes"
          + " when the mount starts (or use 'streamfs recover " + operationId + " DEST')");
    };
  }

  public boolean resumeUpload(String operationId, ProgressListener progress) throws IOException {
    requireKind(operationId, OperationKind.UPLOAD);
    return uploader.run(operationId, progress).status() == OperationStatus.COMPLETED;
  }

  public boolean resumeDownload(String operationId, ProgressListener progress) throws IOException {
    requireKind(operationId, OperationKind.DOWNLOAD);
    return downloader.run(operationId, progress).status() == OperationStatus.COMPLETED;
  }

  /** Rolls back whatever the upload holds on the store and sends the file again from its first chunk. */
  public String restartUpload(String operationId, ProgressListener progress) throws IOException {
    StreamingOperation op = requireKind(operationId, OperationKind.UPLOAD);
    saga.rollback(operationId, OperationStatus.PENDING, "restarted");
    Path file = Path.of(op.fileName());
    StreamingOperation fresh = uploader.create(file, op.key(), op.metadata());
    ctx.catalog.deleteOperation(fresh.operationId());
    long size = Files.size(file);
    StreamingOperation reset = ctx.operation(operationId).withUploadId(null).withChecksum(null)
        .withSize(size, fresh.chunkSizeBytes()).withChunksCompleted(0).withRetryCount(0)
        .withStatus(OperationStatus.PENDING, null);
    List<ChunkMetadata> chunks = new ArrayList<>();
    org.streamfs.model.ChunkLayout layout = new org.streamfs.model.ChunkLayout(size, fresh.chunkSizeBytes());
    for (int i = 0; i < layout.chunkCount(); i++) {
      chunks.add(ChunkMetadata.pending(i, layout.offset(i), layout.size(i)));
    }
    ctx.catalog.putOperationWithChunks(reset, chunks);
    uploader.run(operationId, progress);
    return operationId;
  }

  private StreamingOperation requireKind(String id, OperationKind kind) throws IOException {
    StreamingOperation op = ctx.operation(id);
    if (op.kind() != kind) {
      throw new IOException("operation " + id + " is a " + op.kind().name().toLowerCase() + ", not a "
          + kind.name().toLowerCase());
    }
    return op;
  }

  public StreamingOperation getOperation(String operationId) throws IOException {
    return ctx.operation(operationId);
  }

  /** Every operation that decoded, newest first; corrupt ones are in {@link Catalog#listOperations()}. */
  public List<StreamingOperation> listOperations() {
    List<StreamingOperation> all = new ArrayList<>(ctx.catalog.listOperations().operations());
    all.sort((a, b) -> b.createdAt().compareTo(a.createdAt()));
    return all;
  }

  public List<StreamingOperation> listActiveOperations() {
    return listOperations().stream().filter(o -> o.status().isActive()).toList();
  }

  /**
   * Cancels an operation. Running in this process: stopped after the chunks in flight. With cleanup, what
   * it holds on the store (parts) or locally (partial download) is removed. Returns false if it had
   * already ended.
   */
  public boolean cancelOperation(String operationId, boolean cleanup) throws IOException {
    StreamingOperation op = ctx.operation(operationId);
    EngineContext.Running r = ctx.running.get(operationId);
    if (r != null) {
      r.cleanup = cleanup;
      r.cancelled = true;
      try {
        r.done.handle((x, e) -> null).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException e) {
        // reported by the operation itself
      }
      return true;
    }
    if (!op.status().isActive() && !(cleanup && op.status() == OperationStatus.CANCELLED)) {
      return false;
    }
    if (op.status() == OperationStatus.IN_PROGRESS && op.kind() != OperationKind.MOUNT_WRITE) {
      // Possibly running in another process: ask it to stop, and give it a moment to do so itself.
      ctx.requestCancel(operationId, cleanup);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline && ctx.operation(operationId).status() == OperationStatus.IN_PROGRESS) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (ctx.operation(operationId).status() != OperationStatus.IN_PROGRESS) {
        ctx.clearCancel(operationId);
        return true;
      }
      // Nobody reacted: the process that ran it is gone. Cancel it here.
      ctx.clearCancel(operationId);
    }
    if (cleanup) {
      saga.rollback(operationId, OperationStatus.CANCELLED, "cancelled by user (cleaned up)");
    } else {
      ctx.catalog.putOperation(op.withStatus(OperationStatus.CANCELLED, "cancelled by user"));
    }
    return true;
  }

  public boolean verifyUpload(String operationId) throws IOException {
    return verifier.verify(operationId);
  }

  /**
   * Removes ended operations (completed, failed, cancelled) last updated more than {@code retentionDays}
   * ago: runs compensations still owed, deletes kept staging and partial files, then the records.
   */
  public int cleanupOldOperations(int retentionDays) throws IOException {
    Instant cutoff = Instant.now().minus(Duration.ofDays(retentionDays));
    int n = 0;
    for (StreamingOperation op : ctx.catalog.listOperations().operations()) {
      if (op.status().isActive() || op.updatedAt().isAfter(cutoff)) {
        continue;
      }
      saga.rollback(op.operationId(), op.status(), op.error() == null ? "cleaned up" : op.error());
      String staging = op.metadata().get(StagedUploadImpl.STAGING);
      if (staging != null) {
        Files.deleteIfExists(Path.of(staging));
      }
      ctx.catalog.deleteOperation(op.operationId());
      n++;
    }
    return n;
  }

  /**
   * What one {@link #maintain} pass did: operations whose owed compensations ran, ended operations removed,
   * and chunk manifests of replaced or deleted versions removed.
   */
  public record Upkeep(int compensated, int removed, int manifestsRemoved) {}

  /** How long the checksums of a version replaced or deleted through this machine are kept (open handles). */
  static final Duration MANIFEST_GRACE = Duration.ofDays(1);

  /**
   * The periodic upkeep of a long-running client (the mount runs it every few minutes): compensations that
   * ended operations still owe (an upload to abort, when the store was unreachable at the rollback) are run
   * again, then ended operations older than {@code retentionDays} are removed with the staged bytes they
   * kept ({@link #cleanupOldOperations}), and the chunk manifests of versions replaced or deleted through
   * this machine more than {@link #MANIFEST_GRACE} ago.
   */
  public Upkeep maintain(int retentionDays) throws IOException {
    return maintain(retentionDays, Instant.now(), MANIFEST_GRACE);
  }

  /** {@link #maintain(int)} at a given time and manifest grace period (tests). */
  Upkeep maintain(int retentionDays, Instant now, Duration manifestGrace) throws IOException {
    int compensated = 0;
    for (StreamingOperation op : ctx.catalog.listOperations().operations()) {
      if (!op.status().isActive() && saga.retryOwed(op.operationId())) {
        compensated++;
      }
    }
    int removed = cleanupOldOperations(retentionDays);
    int manifests = ctx.manifests.sweep(key -> {
      try {
        return Optional.of(ctx.store.stat(key));
      } catch (StoreException e) {
        if (e.kind() == StoreException.Kind.NOT_FOUND) {
          return Optional.empty();
        }
        throw e;
      }
    }, now, manifestGrace);
    return new Upkeep(compensated, removed, manifests);
  }

  /** Removes one operation's record whatever its state or corruption (after its compensations). */
  public void forgetOperation(String operationId) throws IOException {
    try {
      saga.rollback(operationId, OperationStatus.CANCELLED, "forgotten");
    } catch (ChunkMetadataCorruptException e) {
      // a corrupt record cannot say what to undo; it is removed all the same
    }
    ctx.catalog.deleteOperation(operationId);
  }

  /** Waits until every listed operation has ended; false on timeout. */
  public boolean waitForOperations(Collection<String> operationIds, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (String id : operationIds) {
      while (true) {
        EngineContext.Running r = ctx.running.get(id);
        boolean ended;
        try {
          ended = r == null && !ctx.operation(id).status().isActive()
              || r != null && r.done.isDone();
        } catch (IOException e) {
          ended = true;
        }
        if (ended) {
          break;
        }
        if (System.nanoTime() > deadline) {
          return false;
        }
        Thread.sleep(20);
      }
    }
    return true;
  }

  // ---- primitives for the mount ----

  /** Chunk size staged uploads use (the configured one, fitted to the store's part limits). */
  public long stagedChunkSize() {
    return staged.chunkSize();
  }

  /**
   * Starts a staged upload of {@code key} from {@code stagingFile} (which the caller keeps writing, with its
   * length kept equal to the file's size). With {@code base} non-null, chunks never marked dirty are copied
   * from that object version server-side. {@code initialMetadata} is given to the multipart upload when it
   * begins; the metadata passed to {@link StagedUpload#commit} wins at completion.
   */
  public StagedUpload openStagedUpload(String key, Path stagingFile, ObjectInfo base,
      Map<String, String> initialMetadata) throws IOException {
    return staged.open(key, stagingFile, base, initialMetadata, Expect.ANY);
  }

  /**
   * As {@link #openStagedUpload(String, Path, ObjectInfo, Map)}, published only if the key holds what
   * {@code expect} says at completion (the mount: the version the session started from, or nothing for a new
   * file); when it does not, the upload ends in a {@link ConflictException} ({@link #onConflict}).
   */
  public StagedUpload openStagedUpload(String key, Path stagingFile, ObjectInfo base,
      Map<String, String> initialMetadata, Expect expect) throws IOException {
    return staged.open(key, stagingFile, base, initialMetadata, expect);
  }

  /**
   * What a staged upload does when another writer replaced its base version first: publish it as a
   * conflict copy next to the winner (default) or fail, keeping its staged bytes.
   */
  public void onConflict(OnConflict mode) {
    ctx.onConflict = java.util.Objects.requireNonNull(mode);
  }

  /** The host name conflict copies are named after (default: this machine's short host name). */
  public void conflictHost(String host) {
    ctx.host = ConflictNames.sanitize(host);
  }

  public StagedUpload openStagedUpload(String key, Path stagingFile, ObjectInfo base) throws IOException {
    return staged.open(key, stagingFile, base, Map.of(), Expect.ANY);
  }

  /** The completion still pending for {@code key} (a committed staged upload), or null. */
  public CompletableFuture<ObjectInfo> pendingCompletion(String key) {
    return staged.pending(key);
  }

  /** Number of committed staged uploads not yet in the store. */
  public int pendingCompletions() {
    beforeSync.run();
    return staged.pendingCount();
  }

  /** Called with every operation that reaches a terminal state (e.g. so staging can free its space). */
  public void addCompletionListener(Consumer<StreamingOperation> listener) {
    ctx.addListener(listener);
  }

  /** The recorded chunk layouts (package-private: {@link Namespace} carries them across copies). */
  Manifests manifests() {
    return ctx.manifests;
  }

  /** How this object version was chunked (recorded at upload), or a default layout without checksums. */
  public ChunkManifest manifest(ObjectInfo object) {
    return ctx.manifests.lookup(object);
  }

  /**
   * Reads chunk {@code index} of the object into {@code dst} (from its position, the chunk's size), with
   * retries, verified against the manifest (fetched again once on mismatch, then ChecksumMismatchException).
   */
  public void fetchChunk(ObjectInfo object, ChunkManifest manifest, int index, ByteBuffer dst)
      throws IOException {
    fetcher.fetch(object, manifest, index, dst);
  }

  /**
   * Run at mount start: staged uploads committed before a crash resume in the background; those still open
   * are rolled back (status FAILED, staged bytes kept). Returns the operations it acted on.
   */
  public List<StreamingOperation> recoverStagedUploads() throws IOException {
    return staged.recover();
  }

  /**
   * The completion of the staged upload still in flight for {@code key} (a resumed one, say), if any: it
   * completes with the stored object, or exceptionally when the upload fails.
   */
  public java.util.Optional<CompletableFuture<ObjectInfo>> pendingUpload(String key) {
    return java.util.Optional.ofNullable(staged.pending(key));
  }

  /** The file metadata (mode, owner, times, xattrs) a staged upload will give its object. */
  public static Map<String, String> stagedFileMetadata(StreamingOperation op) {
    return StagedUploadImpl.userMetadata(op);
  }

  /**
   * {@link #recoverStagedUploads()} restricted to the staged uploads {@code which} accepts: for a client
   * other than the mount (embeddings uploads) that must not touch the mount's files.
   */
  public List<StreamingOperation> recoverStagedUploads(
      java.util.function.Predicate<StreamingOperation> which) throws IOException {
    return staged.recover(which);
  }

  /** Writes the bytes a rolled-back staged upload held (base version overlaid with staged chunks) to dest. */
  public void recoverStaged(String operationId, Path dest) throws IOException {
    staged.recoverTo(operationId, dest);
  }

  /** Waits until every committed upload is in the store (the sync barrier); false on timeout. */
  public boolean awaitCommitted(Duration timeout) throws InterruptedException {
    beforeSync.run();
    return staged.awaitAll(timeout);
  }

  private volatile Runnable beforeSync = () -> {};

  /**
   * Runs {@code r} first whenever pending completions are counted or awaited ({@link #pendingCompletions},
   * {@link #awaitCommitted}): the mount hands over the closed files its write-back delay still holds, so a
   * sync or a stop never misses them.
   */
  public void beforeSync(Runnable r) {
    beforeSync = r;
  }

  // ---- embedding collections (org.streamfs.transfer.embeddings) ----

  /** Embedding collections of this store; their staging files live in {@code <state dir>/embeddings}. */
  public synchronized org.streamfs.transfer.embeddings.EmbeddingStore embeddings() throws IOException {
    if (embeddings == null) {
      embeddings = new org.streamfs.transfer.embeddings.EmbeddingStore(this,
          ctx.catalog.dir().resolve("embeddings"));
    }
    return embeddings;
  }

  /**
   * The seed's {@code upload_embeddings}: streams float32 vectors of one dimension into collection
   * {@code collection} (a {@code .npy} object), chunks uploaded while vectors are produced; blocks until
   * the store holds it.
   */
  public org.streamfs.transfer.embeddings.EmbeddingInfo uploadEmbeddings(
      org.streamfs.transfer.embeddings.EmbeddingSource source, String collection,
      org.streamfs.transfer.embeddings.EmbeddingOptions options) throws IOException {
    return embeddings().uploadEmbeddings(source, collection, options);
  }

  /** Rows {@code [fromRow, fromRow+count)} of a collection, downloading only the chunks that hold them. */
  public float[][] readEmbeddings(String collection, long fromRow, int count) throws IOException {
    return embeddings().readEmbeddings(collection, fromRow, count);
  }

  @Override
  public void close() {
    async.shutdownNow();
    staged.close();
    ctx.close();
  }
}

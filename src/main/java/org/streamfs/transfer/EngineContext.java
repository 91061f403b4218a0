package org.streamfs.transfer;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreLimits;

/**
 * What the engine's parts share: the store, the catalog, the options, the retry policy, the thread pools,
 * the manifest table, the operations running in this process (with their cancel flags) and the
 * completion listeners. Package-private; {@link StreamingManager} is the public face.
 */
final class EngineContext implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EngineContext.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  final ObjectStore store;
  final Catalog catalog;
  final StreamingConfig config;
  final ExecutorService workers;
  final ExecutorService callPool;
  /** Store calls made from upload threads: they run at the upload niceness too ({@link UploadPriority}). */
  final ExecutorService uploadCallPool;
  final Retrier retry;
  final Manifests manifests;
  /** What a staged upload whose base another writer replaced does (see {@link OnConflict}). */
  volatile OnConflict onConflict = OnConflict.COPY;
  /** This machine's short host name, for conflict copies' names. */
  volatile String host = ConflictNames.shortHost();
  /** Operations running in this process: id → cancel flag holder. */
  final Map<String, Running> running = new ConcurrentHashMap<>();
  private final List<Consumer<StreamingOperation>> listeners = new CopyOnWriteArrayList<>();

  /** A running operation's control block. */
  static final class Running {
    volatile boolean cancelled;
    volatile boolean cleanup;
    final java.util.concurrent.CompletableFuture<StreamingOperation> done =
        new java.util.concurrent.CompletableFuture<>();
  }

  EngineContext(ObjectStore store, Catalog catalog, StreamingConfig config) {
    this.store = store;
    this.catalog = catalog;
    this.config = config;
    this.workers = Executors.newFixedThreadPool(config.threadPoolSize(), background("streamfs-worker"));
    this.callPool = Executors.newCachedThreadPool(daemon("streamfs-call"));
    this.uploadCallPool = Executors.newCachedThreadPool(background("streamfs-upcall"));
    this.retry = new Retrier(config, callPool, uploadCallPool);
    this.manifests = new Manifests(catalog, config.chunkSizeBytes(), store, retry);
  }

  static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Daemon threads that run at the upload niceness ({@link UploadPriority}): upload work only. */
  static ThreadFactory background(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(() -> {
        UploadPriority.enterBackground();
        r.run();
      }, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static String newOperationId() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Chunk size for a file of this size: configured or the seed's table, fitted to the store's limits. */
  long chunkSizeFor(long fileSize) {
    long chunk = config.chunkSizeBytes() > 0 ? config.chunkSizeBytes()
        : heapFitted(ChunkLayout.chooseChunkSize(fileSize));
    StoreLimits limits = store.limits();
    chunk = Math.max(chunk, limits.minPartSize());
    chunk = ChunkLayout.fitToPartLimit(fileSize, chunk, limits.maxParts());
    if (chunk > limits.maxPartSize()) {
      throw new IllegalArgumentException("file of " + fileSize + " bytes needs parts of " + chunk
          + " bytes, more than the store's maximum part size " + limits.maxPartSize());
    }
    if (chunk > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("chunk size " + chunk + " is too large (max 2 GiB)");
    }
    return chunk;
  }

  /**
   * An automatic chunk size lowered (to whole MiB, at least 1 MiB) so that one chunk and the heap copies
   * the store makes of it fit half the heap limit: a sealed 20 MiB chunk costs 40 MiB of heap more.
   */
  private long heapFitted(long chunk) {
    int copies = store.heapCopiesPerPart();
    if (copies == 0) {
      return chunk;
    }
    long cap = Runtime.getRuntime().maxMemory() / 2 / (copies + 1L) / (1L << 20) * (1L << 20);
    return Math.max(1L << 20, Math.min(chunk, cap));
  }

  /**
   * How many chunk buffers one operation may hold: parallel chunks, capped so that they and the heap copies
   * the store makes of them (see {@link ObjectStore#heapCopiesPerPart}) fit half the heap limit.
   */
  int bufferCount(long chunkSize) {
    long budget = Runtime.getRuntime().maxMemory() / 2;
    long perChunk = Math.max(1, chunkSize) * (1L + store.heapCopiesPerPart());
    long fit = Math.max(1, budget / perChunk);
    return (int) Math.max(1, Math.min(config.parallelChunks(), fit));
  }

  void addListener(Consumer<StreamingOperation> l) {
    listeners.add(l);
  }

  void finished(StreamingOperation op) {
    for (Consumer<StreamingOperation> l : listeners) {
      try {
        l.accept(op);
      } catch (RuntimeException e) {
        LOG.warn("completion listener failed for {}: {}", op.operationId(), e.toString());
      }
    }
  }

  /**
   * Asks the process running an operation to stop (a row in the catalog table {@code cancels}: the running
   * uploader or downloader reads it before each chunk). Value: "cleanup" or "keep".
   */
  void requestCancel(String operationId, boolean cleanup) {
    catalog.table("cancels").put(operationId.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        (cleanup ? "cleanup" : "keep").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** Applies a cancel request made by another process to this running operation; true if cancelled. */
  boolean pollCancel(String operationId, Running r) {
    if (r.cancelled) {
      return true;
    }
    byte[] v = catalog.table("cancels").get(operationId.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    if (v != null) {
      r.cleanup = "cleanup".equals(new String(v, java.nio.charset.StandardCharsets.US_ASCII));
      r.cancelled = true;
    }
    return r.cancelled;
  }

  void clearCancel(String operationId) {
    catalog.table("cancels").delete(operationId.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** The body of a tracked operation run. */
  @FunctionalInterface
  interface OperationBody {
    StreamingOperation run(Running running) throws IOException;
  }

  /**
   * Runs an operation registered as running in this process (so cancel and wait can reach it): clears an
   * old cancel request, completes its {@link Running#done} and tells the completion listeners either way.
   */
  StreamingOperation track(String operationId, OperationBody body) throws IOException {
    Running running = new Running();
    if (this.running.putIfAbsent(operationId, running) != null) {
      throw new IllegalStateException("operation " + operationId + " is already running in this process");
    }
    clearCancel(operationId);
    try {
      StreamingOperation op = body.run(running);
      running.done.complete(op);
      finished(op);
      return op;
    } catch (IOException | RuntimeException e) {
      running.done.completeExceptionally(e);
      catalog.getOperation(operationId).ifPresent(this::finished);
      throw e;
    } finally {
      this.running.remove(operationId);
    }
  }

  /** Reads the operation, mapping absence to a clear error. */
  StreamingOperation operation(String id) throws IOException {
    return catalog.getOperation(id).orElseThrow(
        () -> new java.nio.file.NoSuchFileException("no operation " + id + " in the catalog"));
  }

  @Override
  public void close() {
    workers.shutdownNow();
    callPool.shutdownNow();
    uploadCallPool.shutdownNow();
  }
}

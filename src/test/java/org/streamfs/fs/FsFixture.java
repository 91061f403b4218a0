package org.streamfs.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.streamfs.cache.ChunkCache;
import org.streamfs.cache.ObjectReader;
import org.streamfs.catalog.Catalog;
import org.streamfs.staging.Staging;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.local.LocalStore;
import org.streamfs.store.middleware.MeteredStore;
import org.streamfs.transfer.Namespace;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * A complete fs stack without FUSE for tests: a real local-directory store (counted by a MeteredStore),
 * a real LMDB catalog, the engine, staging, chunk cache and {@link StreamFs}, with a small chunk size so
 * that small files span several chunks.
 */
final class FsFixture implements AutoCloseable {
  final Path storeDir;
  final MeteredStore store;
  final Catalog catalog;
  final StreamingManager engine;
  final Staging staging;
  final ChunkCache cache;
  final StreamFs fs;
  private final ThreadPoolExecutor pool;

  FsFixture(Path root, long chunkSize, long maxDirty) throws IOException {
    this(root, chunkSize, maxDirty, UnaryOperator.identity());
  }

  /** The same over {@code wrap(local store)}, e.g. a FaultyStore that fails the Nth call. */
  FsFixture(Path root, long chunkSize, long maxDirty, UnaryOperator<ObjectStore> wrap) throws IOException {
    this(root.resolve("store"), root, chunkSize, maxDirty, wrap, 0);
  }

  /** The same with a write-back delay ({@link StreamFs.Options#writeBackMillis}). */
  FsFixture(Path root, long chunkSize, long maxDirty, UnaryOperator<ObjectStore> wrap, long writeBackMillis)
      throws IOException {
    this(root.resolve("store"), root, chunkSize, maxDirty, wrap, writeBackMillis);
  }

  /**
   * A stack over the local store in {@code storeDir} with its state under {@code root}/state: two of them
   * over one store directory are two mounts (two machines) sharing a store.
   */
  FsFixture(Path storeDir, Path root, long chunkSize, long maxDirty, UnaryOperator<ObjectStore> wrap)
      throws IOException {
    this(storeDir, root, chunkSize, maxDirty, wrap, 0);
  }

  FsFixture(Path storeDir, Path root, long chunkSize, long maxDirty, UnaryOperator<ObjectStore> wrap,
      long writeBackMillis) throws IOException {
    this.storeDir = storeDir;
    ObjectStore local = LocalStore.open(storeDir, true);
    store = new MeteredStore(wrap.apply(local));
    catalog = Catalog.open(root.resolve("state/catalog"));
    engine = new StreamingManager(store, catalog, StreamingConfig.builder().chunkSizeBytes(chunkSize)
        .parallelChunks(2).threadPoolSize(4).retryDelay(Duration.ofMillis(10)).build());
    staging = new Staging(root.resolve("state/staging"), maxDirty);
    engine.addCompletionListener(op -> staging.release(op.operationId()));
    pool = new ThreadPoolExecutor(2, 2, 10, TimeUnit.SECONDS, new ArrayBlockingQueue<>(4));
    cache = new ChunkCache(root.resolve("state/cache"), 1 << 20, 4, pool);
    fs = new StreamFs(engine, new Namespace(engine), staging, new ObjectReader(engine, cache),
        new StreamFs.Options(1000, 1000, 5_000, 4, root.resolve("state").toString(), writeBackMillis));
  }

  /** Writes a whole new file through create/write/flush/release. */
  void put(String path, byte[] data) throws IOException {
    long fh = fs.create(path, 0644, 1000, 1000);
    fs.write(fh, 0, ByteBuffer.wrap(data));
    fs.flush(fh);
    fs.release(fh);
  }

  /** Reads a whole file through open/read/release. */
  byte[] get(String path) throws IOException {
    long size = fs.getattr(path).size();
    long fh = fs.open(path, 0);
    try {
      ByteBuffer b = ByteBuffer.allocate((int) size);
      while (b.hasRemaining()) {
        if (fs.read(fh, b.position(), b) == 0) {
          break;
        }
      }
      return b.array();
    } finally {
      fs.release(fh);
    }
  }

  void sync() throws InterruptedException {
    if (!engine.awaitCommitted(Duration.ofSeconds(30))) {
      throw new IllegalStateException("uploads did not finish");
    }
    Thread.sleep(50);
  }

  @Override
  public void close() {
    fs.close();
    pool.shutdownNow();
    engine.close();
    catalog.close();
    store.close();
  }
}

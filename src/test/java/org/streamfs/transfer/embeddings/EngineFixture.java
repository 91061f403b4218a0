package org.streamfs.transfer.embeddings;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.local.LocalStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * A real engine for tests and child processes: a LocalStore in {@code root/store}, the LMDB catalog in
 * {@code root/state}, staging in {@code root/state/embeddings}, a counting wrapper around the store.
 */
final class EngineFixture implements AutoCloseable {
  final CountingStore store;
  final Catalog catalog;
  final StreamingManager engine;
  final EmbeddingStore embeddings;
  final Path storeRoot;
  final Path stagingDir;

  EngineFixture(Path root, long chunkSize) throws IOException {
    this(root.resolve("store"), root.resolve("state"), chunkSize);
  }

  /** An engine over the store in {@code storeRoot} with its own state dir (another machine's view). */
  EngineFixture(Path storeRoot, Path state, long chunkSize) throws IOException {
    this.storeRoot = storeRoot;
    stagingDir = state.resolve("embeddings");
    store = new CountingStore(LocalStore.open(storeRoot, true));
    catalog = Catalog.open(state);
    StreamingConfig config = StreamingConfig.builder().chunkSizeBytes(chunkSize).maxRetries(2)
        .retryDelay(Duration.ofMillis(10)).parallelChunks(2).build();
    engine = new StreamingManager(store, catalog, config);
    embeddings = new EmbeddingStore(engine, stagingDir);
  }

  Path objectFile(String key) {
    return storeRoot.resolve(key);
  }

  @Override
  public void close() {
    engine.close();
    catalog.close();
    store.close();
  }
}

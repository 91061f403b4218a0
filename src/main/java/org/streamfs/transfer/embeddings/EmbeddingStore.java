package org.streamfs.transfer.embeddings;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;
import org.streamfs.transfer.ChunkManifest;
import org.streamfs.transfer.StagedUpload;
import org.streamfs.transfer.StreamingManager;

/**
 * Embedding collections as {@code .npy} objects, on top of the engine: {@link #uploadEmbeddings} streams
 * vectors into a staging file and hands each chunk to a {@link StagedUpload} as soon as it is complete (so
 * resume, rollback, checksums and progress are the engine's), then finalises the shape by rewriting the
 * header in chunk 0 and commits; {@link #readEmbeddings} fetches only the verified chunks that hold the
 * requested rows, keeping the last few in a small LRU ({@link ChunkCache}); {@link #info} reports shape,
 * size and checksum. Bad input aborts the upload: no partial collection ever appears. Thread-safe; uploads
 * to different collections may run concurrently.
 */
public final class EmbeddingStore {
  /** Largest header read to parse a collection's shape (NumPy refuses more than 10,000 bytes). */
  private static final int HEADER_PROBE = 1 << 16;
  /** Name prefix of this class's staging files. */
  static final String STAGING_PREFIX = "embeddings-";

  private final StreamingManager engine;
  private final Path stagingDir;
  private final ChunkCache chunks = new ChunkCache(ChunkCache.defaultBytes());
  private final Map<String, NpyHeader> headers = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, NpyHeader> eldest) {
      return size() > 256;
    }
  };

  /** Collections of {@code engine}'s store; staging files go to {@code stagingDir} (created 0700). */
  public EmbeddingStore(StreamingManager engine, Path stagingDir) throws IOException {
    this.engine = engine;
    this.stagingDir = stagingDir;
    if (!Files.isDirectory(stagingDir)) {
      Files.createDirectories(stagingDir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  /** Where staging files of uploads in progress live. */
  public Path stagingDir() {
    return stagingDir;
  }

  /** The store key of a collection: prefix + name + {@code .npy} (unless the name ends in .npy already). */
  public static String keyFor(String collection, EmbeddingOptions options) throws StoreException {
    if (collection == null || collection.isBlank() || collection.endsWith("/")) {
      throw new IllegalArgumentException("bad collection name '" + collection + "': must be a non-empty "
          + "name, not ending in /");
    }
    String key = options.keyPrefix() + collection + (collection.endsWith(".npy") ? "" : ".npy");
    return StoreKeys.validate(key);
  }

  /**
   * Uploads all vectors of {@code source} as collection {@code collection}; blocks until the store holds the
   * complete object and returns what it holds. The source is read once, row by row.
   */
  public EmbeddingInfo uploadEmbeddings(EmbeddingSource source, String collection, EmbeddingOptions options)
      throws IOException {
    return await(startUpload(source, collection, options), keyFor(collection, options));
  }

  /**
   * Reads all of {@code source} into a staged upload and commits it: returns once the upload is durably
   * recorded as closed (a crash from here on resumes it instead of rolling it back), with a future that
   * completes when the store holds the collection. Bad input fails here, after aborting the upload.
   */
  public CompletableFuture<EmbeddingInfo> startUpload(EmbeddingSource source, String collection,
      EmbeddingOptions options) throws IOException {
    String key = keyFor(collection, options);
    ObjectInfo base = null;
    NpyHeader baseHeader = null;
    if (options.append()) {
      base = statOrNull(key);
      if (base != null) {
        baseHeader = header(base);
        if (baseHeader.dim() != source.dim()) {
          throw new EmbeddingFormatException(source.name() + ": dimension mismatch on append: vectors of "
              + "dimension " + source.dim() + ", collection " + collection + " has dimension "
              + baseHeader.dim());
        }
      }
    }
    Path staging = Files.createTempFile(stagingDir, STAGING_PREFIX, ".npy",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    StagingLock lock;
    StagedUpload upload;
    try {
      lock = StagingLock.acquire(staging);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(staging);
      throw e;
    }
    try {
      // an append lands only on the collection it read (another writer's rows are never dropped); a new
      // collection replaces whatever is there
      upload = engine.openStagedUpload(key, staging, base, java.util.Map.of(),
          options.append() ? org.streamfs.store.Expect.of(base) : org.streamfs.store.Expect.ANY);
    } catch (IOException | RuntimeException e) {
      lock.release();
      Files.deleteIfExists(staging);
      throw e;
    }
    CompletableFuture<ObjectInfo> committed;
    try {
      committed = new CollectionWriter(engine, upload, staging).writeAndCommit(source, base, baseHeader, options);
    } catch (IOException | RuntimeException | Error e) {
      upload.abort(source.name() + ": " + e.getMessage());
      lock.release();
      if (e instanceof EmbeddingFormatException) {
        // bad input: nothing worth recovering, and the caller has the error; other failures keep the
        // staged bytes and a FAILED operation for 'streamfs recover' until the retention period ends
        Files.deleteIfExists(staging);
        engine.forgetOperation(upload.operationId());
      }
      throw e;
    }
    return committed.whenComplete((x, e) -> lock.release()).thenApply(stored -> {
      try {
        Files.deleteIfExists(staging);
        return describe(collection, stored, header(stored));
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    });
  }

  /**
   * After a crash of a process that was uploading to this staging directory: uploads that had been
   * committed resume (completing in the background; {@link StreamingManager#awaitCommitted} waits for
   * them), those still being written are rolled back. Uploads still running in a live process (their
   * staging lock is held) and the mount's staged files are not touched. Returns the operations acted on.
   */
  public List<StreamingOperation> recover() throws IOException {
    Path dir = stagingDir.toAbsolutePath();
    List<StreamingOperation> acted = engine.recoverStagedUploads(op -> {
      Path p = Path.of(op.fileName());
      return p.startsWith(dir) && p.getFileName().toString().startsWith(STAGING_PREFIX)
          && !StagingLock.inUse(p);
    });
    for (StreamingOperation op : acted) {
      Files.deleteIfExists(StagingLock.lockFile(Path.of(op.fileName())));
    }
    return acted;
  }

  private static <T> T await(CompletableFuture<T> f, String key) throws IOException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
          ? e.getCause().getCause() : e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new IOException("embeddings upload of " + key + " failed: " + c, c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while completing " + key);
    }
  }

  /** Rows [fromRow, fromRow+count) of the collection; fetches only the chunks that hold them. */
  public float[][] readEmbeddings(String collection, long fromRow, int count) throws IOException {
    return reader(collection, EmbeddingOptions.DEFAULTS).read(fromRow, count);
  }

  /** Streams rows [fromRow, fromRow+count) to {@code sink}, any number of rows in one chunk of memory. */
  public void readEmbeddings(String collection, long fromRow, long count, EmbeddingOptions options,
      RowReader.RowSink sink) throws IOException {
    reader(collection, options).read(fromRow, count, sink);
  }

  /** A reader over the current version of the collection (its header parsed, its manifest loaded). */
  public RowReader reader(String collection, EmbeddingOptions options) throws IOException {
    String key = keyFor(collection, options);
    ObjectInfo obj = stat(key, collection);
    NpyHeader h = header(obj);
    ChunkManifest m = engine.manifest(obj);
    return new RowReader(h, obj.size(), m.chunkSize(), (i, size) -> {
      ByteBuffer cached = chunks.get(obj.key(), obj.version(), i);
      if (cached != null) {
        return cached;
      }
      ByteBuffer buf = ByteBuffer.allocate(size);
      engine.fetchChunk(obj, m, i, buf);
      buf.flip();
      chunks.put(obj.key(), obj.version(), i, buf);
      return buf;
    }, "collection " + collection);
  }

  /** Shape, size and checksum of the collection. */
  public EmbeddingInfo info(String collection) throws IOException {
    return info(collection, EmbeddingOptions.DEFAULTS);
  }

  public EmbeddingInfo info(String collection, EmbeddingOptions options) throws IOException {
    ObjectInfo obj = stat(keyFor(collection, options), collection);
    return describe(collection, obj, header(obj));
  }

  private EmbeddingInfo describe(String collection, ObjectInfo obj, NpyHeader h) {
    ChunkManifest m = engine.manifest(obj);
    String sha = m.sha256() != null ? m.sha256() : obj.metadata().get(CollectionWriter.SHA256_META);
    return new EmbeddingInfo(collection, obj.key(), h.rows(), h.dim(), obj.size(), sha, m.chunkSize(),
        obj.version(), h.headerLength());
  }

  private ObjectInfo stat(String key, String collection) throws IOException {
    ObjectInfo obj = statOrNull(key);
    if (obj == null) {
      throw new NoSuchFileException(key, null, "no embeddings collection '" + collection + "' in "
          + engine.store().describe());
    }
    return obj;
  }

  private ObjectInfo statOrNull(String key) throws StoreException {
    try {
      return engine.store().stat(key);
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  /** The parsed header of this object version (cached by key and version). */
  NpyHeader header(ObjectInfo obj) throws IOException {
    String cacheKey = obj.key() + "\0" + obj.version();
    synchronized (headers) {
      NpyHeader h = headers.get(cacheKey);
      if (h != null) {
        return h;
      }
    }
    byte[] start;
    try (InputStream in = engine.store().read(obj.key(), 0, Math.min(obj.size(), HEADER_PROBE),
        obj.version())) {
      start = in.readAllBytes();
    }
    NpyHeader h = NpyHeader.parse(start, obj.key());
    if (h.fileSize() > obj.size()) {
      throw new EmbeddingFormatException(obj.key() + ": object of " + obj.size() + " bytes is shorter than "
          + "its .npy header declares (" + h.fileSize() + ")");
    }
    synchronized (headers) {
      headers.put(cacheKey, h);
    }
    return h;
  }
}

package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.streamfs.catalog.Catalog;
import org.streamfs.cli.config.Sizes;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.Stores;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;
import org.streamfs.transfer.codec.CodecOptions;
import org.streamfs.transfer.codec.SealingStore;
import picocli.CommandLine.Option;

/**
 * Options every engine command shares (store, state dir, chunk size, parallelism, retries), and the wiring
 * of store, catalog and engine from them. The default store is a local directory under the user's data
 * directory, the default state dir under the user's state directory ({@code $XDG_STATE_HOME}, where the
 * XDG spec puts data that must survive but is not worth backing up; a cache cleaner may wipe the cache dir,
 * where it lived before); both are created 0700.
 */
public final class EngineOptions {
  @Option(names = "--store", paramLabel = "URI", description = "Store URI: file:///abs/dir, s3://bucket/prefix?"
      + "endpoint=…, couchdb://host:port/db (default: ${DEFAULT-VALUE}).", defaultValue = "${env:STREAMFS_STORE}")
  String store;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Catalog and work files"
      + " (default: $XDG_STATE_HOME/streamfs/state; an existing $XDG_CACHE_HOME/streamfs/state is still used"
      + " while the new one does not exist).", defaultValue = "${env:STREAMFS_STATE_DIR}")
  Path stateDir;

  @Option(names = "--chunk-size", paramLabel = "SIZE", description = "Chunk size, e.g. 10M (default: chosen"
      + " from the file size: 5M/10M/20M/50M).")
  String chunkSize;

  @Option(names = "--parallel", paramLabel = "N", description = "Chunks in flight at once (default: 4).",
      defaultValue = "4")
  int parallel;

  @Option(names = "--max-retries", paramLabel = "N", description = "Retries per chunk (default: 3).",
      defaultValue = "3")
  int maxRetries;

  @Option(names = "--retry-delay", paramLabel = "SECONDS", description = "First retry delay, doubled each"
      + " time (default: 5).", defaultValue = "5")
  double retryDelay;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "Timeout of one store call"
      + " (default: 300).", defaultValue = "300")
  double timeout;

  @Option(names = "--create-store", description = "Create the store (directory or database) if missing.")
  boolean createStore;

  @Option(names = "--compress", paramLabel = "LEVEL", description = "Compress each chunk: zstd 1-22 or"
      + " deflate 1-9; 0 = off (default). Reads decompress whatever was written.", defaultValue = "0")
  int compress;

  @Option(names = "--compress-codec", paramLabel = "zstd|deflate", description = "Codec for --compress"
      + " (default: zstd; deflate needs no native library).", defaultValue = "zstd")
  String compressCodec;

  @Option(names = "--encrypt-key-file", paramLabel = "FILE", description = "Encrypt each chunk with"
      + " AES-256-GCM. FILE holds a 256-bit key (32 raw bytes, 64 hex digits or base64) or a passphrase;"
      + " it must not be readable by group or others. Needed to read encrypted objects.")
  Path encryptKeyFile;

  static Path home() {
    return Path.of(System.getProperty("user.home"));
  }

  static Path xdg(String env, String fallback) {
    String v = System.getenv(env);
    return v != null && !v.isBlank() ? Path.of(v) : home().resolve(fallback);
  }

  /** The default store directory: $XDG_DATA_HOME/streamfs/store. */
  public static Path defaultStoreDir() {
    return xdg("XDG_DATA_HOME", ".local/share").resolve("streamfs").resolve("store");
  }

  /** The default state dir: $XDG_STATE_HOME/streamfs/state (~/.local/state/streamfs/state). */
  public static Path newDefaultStateDir() {
    return xdg("XDG_STATE_HOME", ".local/state").resolve("streamfs").resolve("state");
  }

  /** Where the default state dir was before: $XDG_CACHE_HOME/streamfs/state, still used if it exists. */
  public static Path legacyDefaultStateDir() {
    return xdg("XDG_CACHE_HOME", ".cache").resolve("streamfs").resolve("state");
  }

  private static final AtomicBoolean LEGACY_NOTED = new AtomicBoolean();

  /**
   * The default state dir given the new and the old location: the new one if it exists or the old one holds
   * no catalog; otherwise the old one, in place. The old one is not moved: a process of an older streamfs
   * may have its catalog open, and the cache dir is often on another filesystem (tmpfs), where no move is
   * atomic.
   */
  static Path defaultStateDir(Path newDir, Path legacyDir) {
    return Files.isDirectory(newDir) || !Files.isDirectory(legacyDir.resolve("catalog")) ? newDir : legacyDir;
  }

  /** One line, once per process, when the old default state dir is used. */
  static String legacyNote(Path newDir, Path legacyDir) {
    return "streamfs: using the state dir at its old place " + legacyDir + "; the default is now " + newDir
        + " (move it there when no transfer runs)";
  }

  public Path stateDir() throws IOException {
    Path dir = stateDir;
    if (dir == null) {
      Path newDir = newDefaultStateDir();
      Path legacyDir = legacyDefaultStateDir();
      dir = defaultStateDir(newDir, legacyDir);
      if (dir.equals(legacyDir) && LEGACY_NOTED.compareAndSet(false, true)) {
        System.err.println(legacyNote(newDir, legacyDir));
      }
    }
    return ensurePrivateDir(dir);
  }

  /** Creates the directory (and missing parents) if absent and makes it 0700; it is never group-readable. */
  public static Path ensurePrivateDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileAlreadyExistsException e) {
        // created by another process meanwhile; the permissions are set below
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return dir;
  }

  public String storeUri() throws IOException {
    if (store != null && !store.isBlank()) {
      return store;
    }
    Path dir = ensurePrivateDir(defaultStoreDir());
    return dir.toUri().toString();
  }

  public ObjectStore openStore() throws IOException {
    boolean isDefault = store == null || store.isBlank();
    ObjectStore s = Stores.open(storeUri(), createStore || isDefault);
    try {
      s.checkAccess();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return s;
  }

  public StreamingConfig config() {
    StreamingConfig.Builder b = StreamingConfig.builder().parallelChunks(parallel).maxRetries(maxRetries)
        .retryDelay(Duration.ofMillis((long) (retryDelay * 1000)))
        .timeout(Duration.ofMillis((long) (timeout * 1000)))
        .threadPoolSize(Math.max(parallel, 2));
    if (chunkSize != null) {
      b.chunkSizeBytes(Sizes.parse(chunkSize, 1, 2L * 1024 * 1024 * 1024 - 64));
    }
    return b.build();
  }

  /** Compression and encryption options (FORMAT.md); plain when neither is given. */
  public CodecOptions codecOptions() throws IOException {
    return CodecOptions.fromCli(compress, compressCodec, encryptKeyFile);
  }

  /** Store + catalog + engine, closed together; the engine runs on a {@link SealingStore}. */
  public Engine open() throws IOException {
    StreamingConfig cfg = config();
    CodecOptions codec = codecOptions();
    ObjectStore s = new SealingStore(openStore(), codec);
    Catalog c;
    try {
      c = Catalog.open(stateDir().resolve("catalog"));
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return new Engine(s, c, new StreamingManager(s, c, cfg));
  }

  /** The open engine of one command. */
  public record Engine(ObjectStore store, Catalog catalog, StreamingManager manager) implements AutoCloseable {
    @Override
    public void close() {
      manager.close();
      catalog.close();
      store.close();
    }
  }
}

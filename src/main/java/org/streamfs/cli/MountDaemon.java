package org.streamfs.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.cache.ChunkCache;
import org.streamfs.cache.ObjectReader;
import org.streamfs.catalog.Catalog;
import org.streamfs.cli.service.GracefulStop;
import org.streamfs.cli.service.StopSignals;
import org.streamfs.cli.service.SystemdNotify;
import org.streamfs.fs.FailedUpload;
import org.streamfs.fs.StreamFs;
import org.streamfs.fs.fuse.FuseMount;
import org.streamfs.fs.fuse.ThreadNice;
import org.streamfs.model.StreamingOperation;
import org.streamfs.staging.Staging;
import org.streamfs.store.ObjectStore;
import org.streamfs.transfer.Namespace;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;
import org.streamfs.transfer.UploadPriority;
import org.streamfs.transfer.codec.CodecOptions;
import org.streamfs.transfer.codec.SealingStore;

/**
 * The mount daemon in the foreground: the composition root of a mount. It takes the state directory's
 * exclusive lock, opens store, catalog and engine, recovers staged uploads left by a crash (committed ones
 * resume, open ones roll back), builds staging, cache and the fs, clears a stale mount, mounts, and then
 * serves the control socket until the file system is unmounted. On SIGTERM it keeps flushing closed files
 * for the stop timeout, then unmounts; uploads still pending resume at the next mount.
 */
final class MountDaemon {
  private static final Logger LOG = LoggerFactory.getLogger(MountDaemon.class);

  /** Everything a mount needs, resolved. */
  record Settings(String store, Path mountpoint, Path stateDir, long chunkSize, int parallel, long cacheMaxSize,
      long maxDirty, List<String> fuseOptions, boolean singleThreaded, long testReadLatencyMillis,
      Duration stopTimeout, CodecOptions codec, int retentionDays, Duration upkeepEvery, Duration writeBackDelay,
      org.streamfs.transfer.OnConflict onConflict) {}

  private static long uploadedBytes(StreamingManager engine, String operationId) {
    try {
      return engine.getOperation(operationId).bytesCompleted();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** A failure to mount, with the one-line reason shown to the user. */
  static final class MountFailure extends Exception {
    private static final long serialVersionUID = 1L;

    MountFailure(String reason) {
      super(reason);
    }
  }

  private final Settings s;
  private FileChannel lockChannel;

  MountDaemon(Settings s) {
    this.s = s;
  }

  /** Runs the mount until unmounted; {@code onReady} is called once the mount answers. */
  void run(Runnable onReady) throws MountFailure, IOException, InterruptedException {
    Files.createDirectories(s.stateDir());
    Files.setPosixFilePermissions(s.stateDir(), PosixFilePermissions.fromString("rwx------"));
    lock();
    String libfuse = FuseMount.libfuseProblem();
    if (libfuse != null) {
      throw new MountFailure(libfuse);
    }
    FuseMount.clearStale(s.mountpoint());
    if (!Files.isDirectory(s.mountpoint())) {
      throw new MountFailure("mount point " + s.mountpoint() + " does not exist or is not a directory");
    }
    if (FuseMount.mountType(s.mountpoint()) != null) {
      throw new MountFailure("mount point " + s.mountpoint() + " is busy: something is already mounted there");
    }
    ObjectStore store;
    try {
      store = new SealingStore(StoreOpener.open(s.store(), s.testReadLatencyMillis()), s.codec());
      store.checkAccess();
    } catch (IOException e) {
      throw new MountFailure("store " + s.store() + " is not usable: " + e.getMessage());
    }
    if (s.codec().encrypting()) {
      try {
        ((SealingStore) store).checkKey("", 20); // a wrong key is refused now, not at the first read
      } catch (IOException e) {
        store.close();
        throw new MountFailure(e.getMessage());
      }
    }
    int nice;
    try {
      nice = FuseMount.uploadNice(s.fuseOptions());
      UploadPriority.set(nice, ThreadNice::setCurrentThread);
      org.streamfs.store.local.Holes.use(org.streamfs.fs.fuse.SeekData::firstData);
    } catch (IllegalArgumentException e) {
      throw new MountFailure(e.getMessage());
    }
    // the JIT compiler threads too: on a fresh daemon they compete with the FUSE threads for the CPU during
    // the first file (A/B on 2 cores, 1 GiB cp on a fresh daemon: 2.96 s mean of six at niceness 0, 2.64 s
    // of three at 10; cold reads unchanged)
    try {
      LOG.debug("{} JIT compiler threads at niceness {}", ThreadNice.setThreadsNamed(
          List.of("C1 CompilerThre", "C2 CompilerThre"), nice), nice);
    } catch (IOException | RuntimeException | LinkageError e) {
      LOG.debug("JIT compiler threads keep their niceness: {}", e.toString());
    }
    StreamingConfig.Builder cb = StreamingConfig.builder().parallelChunks(s.parallel())
        .threadPoolSize(Math.max(2, s.parallel() * 2));
    cb.chunkSizeBytes(s.chunkSize());
    String retryMs = System.getenv("STREAMFS_TEST_RETRY_DELAY_MS");
    if (retryMs != null && !retryMs.isBlank()) {
      cb.retryDelay(java.time.Duration.ofMillis(Long.parseLong(retryMs.strip()))); // test only: quick retries
    }
    Catalog catalog = Catalog.open(s.stateDir().resolve("catalog"));
    StreamingManager engine = new StreamingManager(store, catalog, cb.build());
    engine.onConflict(s.onConflict());
    Staging staging = new Staging(s.stateDir().resolve("staging"), s.maxDirty());
    engine.addCompletionListener(op -> staging.release(op.operationId()));
    List<StreamingOperation> recovered = engine.recoverStagedUploads();
    for (StreamingOperation op : recovered) {
      LOG.info("recovered staged upload {} of {}: {}", op.operationId(), op.key(), op.status().value());
    }
    ThreadPoolExecutor prefetch = new ThreadPoolExecutor(s.parallel(), s.parallel(), 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(s.parallel() * 2), r -> {
          Thread t = new Thread(r, "prefetch");
          t.setDaemon(true);
          return t;
        });
    ChunkCache cache = new ChunkCache(s.stateDir().resolve("cache"), s.cacheMaxSize(), s.parallel() + 2,
        prefetch);
    ObjectReader reader = new ObjectReader(engine, cache);
    long[] owner = owner();
    StreamFs fs = new StreamFs(engine, new Namespace(engine), staging, reader,
        new StreamFs.Options(owner[0], owner[1], 5_000, 8, s.stateDir().toString(), s.writeBackDelay().toMillis()));
    for (StreamingOperation op : recovered) {
      if (op.status().isActive()) {
        engine.pendingUpload(op.key()).ifPresent(done -> fs.adoptResumed(op.key(), op.totalSizeBytes(),
            StreamingManager.stagedFileMetadata(op), done, () -> uploadedBytes(engine, op.operationId())));
      }
    }
    int renames = fs.finishInterruptedRenames();
    if (renames > 0) {
      LOG.info("finished {} directory renames the last run left half done", renames);
    }
    FuseMount mount;
    try {
      mount = FuseMount.start(fs, s.mountpoint(), s.fuseOptions(), s.singleThreaded(), 30_000);
    } catch (IOException e) {
      throw new MountFailure(e.getMessage());
    }
    ScheduledExecutorService upkeep = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "streamfs-upkeep");
      t.setDaemon(true);
      return t;
    });
    upkeep.scheduleWithFixedDelay(() -> upkeep(engine, s.retentionDays()), s.upkeepEvery().toMillis(),
        s.upkeepEvery().toMillis(), TimeUnit.MILLISECONDS);
    ServerSocketChannel control = ControlChannel.serve(s.stateDir(), (cmd, out) -> control(cmd, out, fs, engine));
    MountRegistry.write(s.mountpoint(), s.stateDir(), ProcessHandle.current().pid());
    Files.writeString(s.stateDir().resolve("mount.store"), s.store() + "\n");
    // SIGHUP and other JVM exits: flush for the stop timeout while jnr-fuse's own hook unmounts.
    Thread stopper = new Thread(() -> onSignal(engine, mount), "streamfs-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    // SIGTERM and SIGINT: flush, then unmount; a second signal unmounts at once (cli.service.GracefulStop).
    GracefulStop stop = new GracefulStop(new DaemonStop(engine, mount), SystemdNotify.fromEnvironment(),
        s.stopTimeout());
    StopSignals signals = StopSignals.install(stop);
    LOG.info("mounted {} on {} (state {})", store.describe(), s.mountpoint(), s.stateDir());
    onReady.run();
    mount.awaitEnd();
    stop.afterUnmount();
    signals.restore();
    LOG.info("unmounted {}; {} uploads still pending resume at the next mount", s.mountpoint(),
        engine.pendingCompletions());
    for (FailedUpload f : fs.failedUploads()) {
      LOG.warn("{}: its latest bytes are NOT in the store (upload failed: {}); the store keeps the previous"
          + " version; the bytes: streamfs recover {} DEST", f.key(), f.reason(),
          f.operationId() == null ? "OP (see streamfs ops --failed)" : f.operationId());
    }
    control.close();
    MountRegistry.remove(s.mountpoint());
    try {
      Runtime.getRuntime().removeShutdownHook(stopper);
    } catch (IllegalStateException e) {
      // already shutting down
    }
    fs.close();
    prefetch.shutdownNow();
    upkeep.shutdownNow();
    engine.close();
    catalog.close();
    store.close();
    Files.deleteIfExists(ControlChannel.socket(s.stateDir()));
  }

  /**
   * The background upkeep, every {@code upkeep-every} while mounted: compensations that failed uploads
   * still owe are retried, failed uploads' staged bytes and ended uploads' records older than the
   * retention period are removed, and so are the chunk checksums of versions replaced or deleted a day ago
   * ({@link StreamingManager#maintain}). A failure is logged and retried at the next run.
   */
  private static void upkeep(StreamingManager engine, int retentionDays) {
    try {
      StreamingManager.Upkeep u = engine.maintain(retentionDays);
      if (u.compensated() > 0 || u.removed() > 0 || u.manifestsRemoved() > 0) {
        LOG.info("upkeep: {} owed compensations done, {} ended operations older than {} days removed, {}"
            + " checksum records of replaced or deleted versions removed", u.compensated(), u.removed(),
            retentionDays, u.manifestsRemoved());
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("upkeep failed (retried at the next run): {}", e.toString());
    }
  }

  private void onSignal(StreamingManager engine, FuseMount mount) {
    SystemdNotify.fromEnvironment().stopping("flushing uploads");
    try {
      if (!engine.awaitCommitted(s.stopTimeout())) {
        LOG.warn("stop timeout reached with {} uploads pending; they resume at the next mount",
            engine.pendingCompletions());
      }
      mount.unmount();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void control(String cmd, PrintWriter out, StreamFs fs, StreamingManager engine)
      throws InterruptedException {
    switch (cmd.split(" ")[0]) {
      case "sync" -> {
        long last = 0;
        while (!engine.awaitCommitted(Duration.ofMillis(500))) {
          long now = System.currentTimeMillis();
          if (now - last >= 500) {
            List<String> p = fs.pendingUploads();
            out.println("pending " + engine.pendingCompletions() + " " + String.join("; ", p));
            last = now;
          }
        }
        // what the barrier could not make safe: files whose latest bytes are not in the store
        for (FailedUpload f : fs.failedUploads()) {
          out.println(ControlChannel.failedLine(f));
        }
        out.println("done");
      }
      case "status" -> {
        for (String p : fs.pendingUploads()) {
          out.println(p);
        }
        out.println("done");
      }
      case "pid" -> out.println(ProcessHandle.current().pid());
      default -> out.println("error unknown command " + cmd);
    }
  }

  private void lock() throws IOException, MountFailure {
    Path lockFile = s.stateDir().resolve("daemon.lock");
    lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    FileLock l = lockChannel.tryLock();
    if (l == null) {
      String pid = "";
      try {
        pid = " (pid " + Files.readString(s.stateDir().resolve("daemon.pid")).strip() + ")";
      } catch (IOException e) {
        // no pid file: say nothing more
      }
      throw new MountFailure("state dir " + s.stateDir() + " is in use by another streamfs daemon" + pid);
    }
    Files.writeString(s.stateDir().resolve("daemon.pid"), Long.toString(ProcessHandle.current().pid()));
  }

  /** uid and gid of this process (the mount owner, default owner of objects without metadata). */
  static long[] owner() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      Object gid = Files.getAttribute(Path.of("/proc/self"), "unix:gid");
      return new long[] {((Number) uid).longValue(), ((Number) gid).longValue()};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}

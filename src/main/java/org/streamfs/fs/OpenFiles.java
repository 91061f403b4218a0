package org.streamfs.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.cache.ObjectReader;
import org.streamfs.staging.StagedFile;
import org.streamfs.staging.Staging;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.StagedUpload;
import org.streamfs.transfer.StreamingManager;

/**
 * The handle table and the write sessions. Each open file is one {@link LiveFile} (shared by all its
 * handles) keyed by store key; a handle adds its access mode and read-ahead state. A create, or the first
 * write or truncate of an open file, starts a staged upload (a session); flush (every close()) seals it
 * (durably recorded as closed, so a file is crash-safe as soon as close() returns) and the session is
 * committed once the write-back delay has passed with no writer left, or at once with no delay; a reopen
 * within the delay continues the same session. The object appears whole, in the background. fsync commits
 * and waits until the store holds it; the next write starts a new session over that version. A writer killed with -9 still gets flush and release
 * from the kernel: what it had written is committed, exactly what a local disk would keep. A LiveFile
 * leaves the table when it has no handle and no upload in flight.
 */
final class OpenFiles {
  private static final Logger LOG = LoggerFactory.getLogger(OpenFiles.class);

  record Handle(long id, LiveFile file, boolean writable, ObjectReader.Session reads) {}

  private final StreamingManager engine;
  private final org.streamfs.transfer.Namespace namespace;
  private final Staging staging;
  private final ObjectReader reader;
  private final Lookup lookup;
  private final int readAheadMax;
  private final Map<String, LiveFile> live = new ConcurrentHashMap<>();
  private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
  private final KernelPages kernelPages = new KernelPages();
  private final AtomicLong nextHandle = new AtomicLong(1);
  private final Commits commits;

  /** How long a closed file's commit waits for a reopen that continues its session; 0 = commit at once. */
  private final long writeBackMillis;
  private volatile java.util.concurrent.ScheduledExecutorService writeBackTimer;

  OpenFiles(StreamingManager engine, org.streamfs.transfer.Namespace namespace, Staging staging,
      ObjectReader reader, Lookup lookup, int readAheadMax) {
    this(engine, namespace, staging, reader, lookup, readAheadMax, 0);
  }

  OpenFiles(StreamingManager engine, org.streamfs.transfer.Namespace namespace, Staging staging,
      ObjectReader reader, Lookup lookup, int readAheadMax, long writeBackMillis) {
    this.writeBackMillis = writeBackMillis;
    this.engine = engine;
    this.namespace = namespace;
    this.staging = staging;
    this.reader = reader;
    this.lookup = lookup;
    this.readAheadMax = readAheadMax;
    this.commits = new Commits(namespace, lookup, this::forgetIfIdleLocked, this);
  }

  LiveFile get(String key) {
    LiveFile f = live.get(key);
    return f == null || f.unlinked ? null : f;
  }

  /** Live files directly in directory {@code dirKey} ("" = root). */
  List<String> namesIn(String dirKey) {
    String prefix = dirKey.isEmpty() ? "" : dirKey + "/";
    List<String> out = new ArrayList<>();
    for (LiveFile f : live.values()) {
      String k = f.key;
      if (!f.unlinked && k.startsWith(prefix) && k.indexOf('/', prefix.length()) < 0) {
        out.add(k.substring(prefix.length()));
      }
    }
    return out;
  }

  /** Keys of live files at any depth below {@code prefix}. */
  List<String> keysUnder(String prefix) {
    List<String> out = new ArrayList<>();
    for (LiveFile f : live.values()) {
      if (!f.unlinked && f.key.startsWith(prefix)) {
        out.add(f.key);
      }
    }
    return out;
  }

  /**
   * Creates a new, empty file open for writing; it is committed (even empty) at its last release, over
   * {@code existing} (the object this mount last saw at the key, null if none) and nothing else.
   */
  long create(String key, Map<String, String> meta, ObjectInfo existing) throws IOException {
    LiveFile old = live.get(key);
    ObjectInfo replaces = existing;
    if (old != null) {
      replaces = settle(old);
    }
    LiveFile f = new LiveFile(key, null, meta);
    f.replaces = replaces;
    synchronized (f) {
      startSessionLocked(f);
      f.handles++;
      f.writers++;
    }
    live.put(key, f);
    return register(f, true);
  }

  /**
   * Shows an upload the engine resumed after a restart as a live file of {@code size} bytes, uploading,
   * until {@code upload} completes; reads wait for it, writes start a new session after it.
   */
  void adoptResumed(String key, long size, Map<String, String> meta, CompletableFuture<ObjectInfo> upload,
      java.util.function.LongSupplier uploaded) {
    LiveFile f = new LiveFile(key, null, meta);
    synchronized (f) {
      f.resumedSize = size;
      f.resumedUploaded = uploaded;
      if (live.putIfAbsent(key, f) != null) {
        return;
      }
      commits.adoptLocked(f, upload);
    }
  }

  /** Where an open finds the stored object when the file is not live yet (pinned for reads). */
  @FunctionalInterface
  interface Stat {
    ObjectInfo stat() throws IOException;
  }

  /** Opens an existing file. */
  long open(String key, Stat stat, boolean write) throws IOException {
    while (true) {
      LiveFile f = live.get(key);
      if (f == null) {
        ObjectInfo stored = stat.stat();
        LiveFile fresh = new LiveFile(key, stored, stored.metadata());
        f = live.putIfAbsent(key, fresh);
        if (f == null) {
          f = fresh;
        }
      }
      synchronized (f) {
        if (live.get(key) != f) {
          continue;
        }
        f.handles++;
        if (write) {
          f.writers++;
        }
        return register(f, write);
      }
    }
  }

  private long register(LiveFile f, boolean write) {
    long id = nextHandle.getAndIncrement();
    handles.put(id, new Handle(id, f, write, reader.session(readAheadMax)));
    return id;
  }

  Handle handle(long fh) throws FsException {
    Handle h = handles.get(fh);
    if (h == null) {
      throw new FsException(Errno.EBADF, "no open file with handle " + fh);
    }
    return h;
  }

  /**
   * Whether the kernel may keep the pages it cached for this file when this handle opens it
   * (FOPEN_KEEP_CACHE), so a warm read never reaches the daemon: only for a read-only handle on a stored
   * version equal to the one the previous open of the key saw, with nothing staged. A new version (written
   * here or by another tool), a writer or a file being written drops them, as without the flag.
   */
  boolean keepCache(long fh) throws FsException {
    Handle h = handle(fh);
    LiveFile f = h.file();
    String version;
    synchronized (f) {
      version = h.writable() || f.staged != null || f.uploading != null || f.base == null ? null
          : f.base.version();
    }
    return kernelPages.keep(f.key, version);
  }

  private void startSessionLocked(LiveFile f) throws IOException {
    Path p = staging.newFile();
    StagedUpload up;
    try {
      // publish only over what the session started from: the base, or what a create replaces, or nothing
      ObjectInfo over = f.base != null ? f.base : f.replaces;
      up = engine.openStagedUpload(f.key, p, f.base, Map.of(), Expect.of(over));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(p);
      throw e;
    }
    ObjectInfo base = f.base;
    f.staged = new StagedFile(staging, p, up, base, (off, dst) -> readBase(base, off, dst));
    f.sealed = false;
    f.sealedOnce = false;
    f.failure = null;
    f.conflict = null;
  }

  private void readBase(ObjectInfo base, long offset, ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      int n = reader.read(base, offset, dst, null);
      if (n <= 0) {
        throw new IOException("base object " + base.key() + " ended early at " + offset);
      }
      offset += n;
    }
  }

  int read(long fh, long offset, ByteBuffer dst) throws IOException {
    Handle h = handle(fh);
    LiveFile f = h.file();
    for (int attempt = 0; ; attempt++) {
      StagedFile s;
      ObjectInfo base;
      CompletableFuture<ObjectInfo> resumed;
      synchronized (f) {
        s = f.staged != null ? f.staged : f.uploading;
        base = f.base;
        resumed = f.resuming() ? f.committing : null;
      }
      if (resumed != null) {
        // its bytes are in the engine's staging file, not here: read the object once it is stored
        try {
          await(resumed);
        } catch (IOException e) {
          throw new IOException(f.key + ": its upload, resumed after a restart, failed: " + e.getMessage(), e);
        }
        continue;
      }
      if (s == null && base == null && f.resumedUploaded != null && f.failure != null) {
        throw new IOException(f.key + ": its upload, resumed after a restart, failed: "
            + f.failure.getMessage(), f.failure);
      }
      if (s == null) {
        return base == null ? 0 : reader.read(base, offset, dst, h.reads());
      }
      CompletableFuture<ObjectInfo> committing;
      synchronized (f) {
        committing = f.uploading == s ? f.committing : null;
      }
      try {
        return s.read(offset, dst);
      } catch (java.nio.channels.ClosedChannelException e) {
        if (attempt > 3) {
          throw e;
        }
        // the upload finished while we read: read the stored version now
      } catch (org.streamfs.store.StoreException e) {
        if (e.kind() != org.streamfs.store.StoreException.Kind.PRECONDITION_FAILED || committing == null
            || attempt > 3) {
          throw e;
        }
        // unchanged chunks come from the base version, which the finishing upload just replaced
        try {
          await(committing);
        } catch (IOException ignored) {
          // the upload failed: the base is still the stored version, read it again
        }
      }
    }
  }

  void write(long fh, long offset, ByteBuffer src) throws IOException {
    Handle h = handle(fh);
    if (!h.writable()) {
      throw new FsException(Errno.EBADF, "handle " + fh + " is not open for writing");
    }
    LiveFile f = h.file();
    int start = src.position();
    while (true) {
      StagedFile s = session(f);
      if (s == null) {
        return;
      }
      IOException failed = s.upload().failure();
      if (failed != null) {
        throw failed;
      }
      try {
        if (s.write(offset, src)) {
          break;
        }
      } catch (IOException e) {
        if (Errno.isNoSpace(e)) {
          poison(f, s, e);
        }
        throw e;
      }
      src.position(start);
    }
    touch(f);
  }

  /**
   * The local disk is full: the session is rolled back (no partial object reaches the store; the previous
   * version stays) and every write and close of the file reports ENOSPC until its writers are gone.
   */
  private void poison(LiveFile f, StagedFile s, IOException cause) throws IOException {
    synchronized (f) {
      if (f.staged == s && f.sealedOnce) {
        // it holds bytes of a close: a closed file is never rolled back; what the disk took is committed
        try {
          commitLocked(f);
        } catch (IOException e) {
          cause.addSuppressed(e);
        }
      }
      if (f.staged == s) {
        if (f.writeBack != null) {
          f.writeBack.cancel(false);
          f.writeBack = null;
        }
        f.sealed = false;
        f.sealedOnce = false;
        f.staged = null;
        s.abort("local disk full while writing");
        s.close();
      }
      f.poisoned = new FsException(Errno.ENOSPC, "/" + f.key + ": local staging disk full: " + cause.getMessage());
      LOG.error("{}: write failed, staging disk full; the file keeps its previous version", f.key);
    }
  }

  void ftruncate(long fh, long size) throws IOException {
    Handle h = handle(fh);
    if (!h.writable()) {
      throw new FsException(Errno.EBADF, "handle " + fh + " is not open for writing");
    }
    StagedFile s = session(h.file());
    if (s != null) {
      s.truncate(size);
      touch(h.file());
    }
  }

  /** The current size of the file open as {@code fh} (staged bytes included). */
  long size(long fh) throws IOException {
    LiveFile f = handle(fh).file();
    return f.attr(0, 0).size();
  }

  /** The open write session of {@code f}, starting one if fsync or rename committed the previous one. */
  private StagedFile session(LiveFile f) throws IOException {
    while (true) {
      CompletableFuture<ObjectInfo> wait;
      synchronized (f) {
        if (f.poisoned != null) {
          throw f.poisoned;
        }
        if (f.unlinked) {
          return null;
        }
        if (f.staged != null) {
          f.sealed = false;
          return f.staged;
        }
        if (f.committing == null) {
          startSessionLocked(f);
          return f.staged;
        }
        wait = f.committing;
      }
      await(wait);
    }
  }

  private static void touch(LiveFile f) {
    synchronized (f) {
      String now = Meta.formatTime(java.time.Instant.now());
      f.meta.put(Meta.MTIME, now);
      f.meta.put(Meta.CTIME, now);
    }
  }

  /**
   * close() of one descriptor. For a writer this is the commit point: what was written is durably recorded
   * as closed (a crash from now on resumes the upload instead of rolling it back), and a background upload
   * failure of this file is reported here, to the application's close(). Later writes through another
   * descriptor start a new session over the committed version.
   */
  void flush(long fh) throws IOException {
    Handle h = handle(fh);
    LiveFile f = h.file();
    synchronized (f) {
      if (f.staged != null && f.staged.upload().failure() != null) {
        throw f.staged.upload().failure();
      }
      if (h.writable() && f.failure != null) {
        throw f.failure;
      }
      if (h.writable() && f.poisoned != null) {
        throw f.poisoned;
      }
      if (h.writable() && f.staged != null && !f.unlinked) {
        closeLocked(f);
      }
    }
  }

  /**
   * A writer closed the file: commit it now, or, with a write-back delay, seal it (durably closed: a crash
   * from now on resumes its upload) and commit it when the delay has passed with no writer left. A reopen
   * within the delay continues the same session instead of waiting for an upload and starting another: a
   * file rewritten a little at a time (a log opened, appended to and closed per line, an editor's saves,
   * rsync --inplace, fsstress) is uploaded once per quiet spell, not once per close.
   */
  private void closeLocked(LiveFile f) throws IOException {
    if (writeBackMillis <= 0) {
      commitLocked(f);
      return;
    }
    if (!f.sealed) {
      f.staged.seal(new HashMap<>(f.meta));
      f.sealed = true;
      f.sealedOnce = true;
    }
    if (f.writeBack != null) {
      f.writeBack.cancel(false);
    }
    long seq = ++f.writeBackSeq;
    f.writeBack = timer().schedule(() -> writeBackDue(f, seq), writeBackMillis,
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private java.util.concurrent.ScheduledExecutorService timer() {
    java.util.concurrent.ScheduledExecutorService t = writeBackTimer;
    if (t == null) {
      synchronized (this) {
        if (writeBackTimer == null) {
          writeBackTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "streamfs-write-back");
            th.setDaemon(true);
            return th;
          });
        }
        t = writeBackTimer;
      }
    }
    return t;
  }

  /** The write-back delay of {@code f} passed: commit it, unless a writer still has it open (its close will). */
  private void writeBackDue(LiveFile f, long seq) {
    synchronized (f) {
      if (f.writeBackSeq != seq || f.writeBack == null) {
        return;
      }
      f.writeBack = null;
      if (f.staged == null || f.unlinked || f.writers > 0) {
        return;
      }
      try {
        commitLocked(f);
      } catch (IOException | RuntimeException e) {
        f.failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
        LOG.error("{}: committing it after the write-back delay failed: {}", f.key, e.toString());
        uploadFailed(f.key, f.staged == null ? null : f.staged.upload().operationId(),
            e.toString());
      }
      forgetIfIdleLocked(f);
    }
  }

  /**
   * Commits now every session whose commit the write-back delay postponed (sync, unmount, stop); returns
   * how many.
   */
  int commitDelayed() {
    int n = 0;
    for (LiveFile f : new ArrayList<>(live.values())) {
      synchronized (f) {
        if (f.writeBack == null) {
          continue;
        }
        f.writeBack.cancel(false);
        f.writeBack = null;
        if (f.staged == null || f.unlinked) {
          continue;
        }
        try {
          commitLocked(f);
          n++;
        } catch (IOException | RuntimeException e) {
          f.failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
          LOG.error("{}: committing it for a sync failed: {}", f.key, e.toString());
          uploadFailed(f.key, f.staged == null ? null : f.staged.upload().operationId(),
              e.toString());
        }
      }
    }
    return n;
  }

  /** Last close of a handle: the last writer commits the file. */
  void release(long fh) throws IOException {
    Handle h = handles.remove(fh);
    if (h == null) {
      return;
    }
    h.reads().close();
    LiveFile f = h.file();
    synchronized (f) {
      f.handles--;
      if (h.writable()) {
        f.writers--;
        if (f.writers == 0 && f.staged != null) {
          closeLocked(f);
        }
        if (f.writers == 0) {
          f.poisoned = null;
        }
      }
      forgetIfIdleLocked(f);
    }
  }

  /** fsync: commits the current content and returns once the store holds it. */
  void fsync(long fh) throws IOException {
    LiveFile f = handle(fh).file();
    settle(f);
    FailedUpload u = failedUpload(f.key);
    if (u != null) {
      throw new IOException(f.key + ": its latest bytes are not in the store, their upload failed: "
          + u.reason());
    }
  }

  /** Commits any open session of the file and waits for its upload; returns the stored object. */
  ObjectInfo settle(LiveFile f) throws IOException {
    return commits.settle(f);
  }

  private void commitLocked(LiveFile f) throws IOException {
    commits.commitLocked(f);
  }

  /** Stops the write-back timer (the mount is ending; {@link #commitDelayed} ran or the sessions resume). */
  void close() {
    java.util.concurrent.ScheduledExecutorService t = writeBackTimer;
    if (t != null) {
      t.shutdownNow();
    }
  }

  static <T> T await(CompletableFuture<T> f) throws IOException {
    return Commits.await(f);
  }

  void forgetIfIdleLocked(LiveFile f) {
    if (!f.busy()) {
      if (f.conflict != null && !f.unlinked) {
        synchronized (conflicts) {
          conflicts.put(f.key, new Conflict(f.conflict, f.base == null ? null : f.base.version()));
        }
      }
      live.remove(f.key, f);
    }
  }

  /** A lost race recorded when its file left the table: shown as its status while the winner is stored. */
  private record Conflict(String message, String winner) {}

  private final Map<String, Conflict> conflicts = new java.util.LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Conflict> eldest) {
      return size() > 1024;
    }
  };

  /**
   * The conflict message of the last write of {@code key} here, if it lost a race and the store still
   * holds the version that won ({@code stored}); else null.
   */
  String recentConflict(String key, String stored) {
    synchronized (conflicts) {
      Conflict c = conflicts.get(key);
      return c != null && java.util.Objects.equals(c.winner(), stored) ? c.message() : null;
    }
  }

  /**
   * Applies a metadata change to a live file in memory when a commit will carry it (a session is open) or
   * follow it (an upload is in flight); returns false when the caller must change the stored object.
   */
  boolean changeMeta(String key, java.util.function.UnaryOperator<Map<String, String>> change) {
    LiveFile f = get(key);
    if (f == null) {
      return false;
    }
    synchronized (f) {
      if (f.staged == null && f.committing == null) {
        return false;
      }
      f.meta = change.apply(new HashMap<>(f.meta));
      if (f.staged != null && f.sealedOnce) {
        // recorded with the sealed session too: a resume after a crash stores it
        f.staged.upload().updateMetadata(new HashMap<>(f.meta));
      }
      if (f.staged == null) {
        f.metaAfterCommit = true;
        if (f.uploading != null) {
          // recorded with the upload too: if the daemon stops first, the resumed upload stores it
          f.uploading.upload().updateMetadata(new HashMap<>(f.meta));
        }
      }
      return true;
    }
  }

  /** unlink of a live file: a running session is rolled back; the object is deleted by the caller. */
  void unlinked(String key) throws IOException {
    uploadSettled(key);
    LiveFile f = live.get(key);
    if (f == null) {
      return;
    }
    CompletableFuture<ObjectInfo> wait;
    synchronized (f) {
      if (f.staged != null && f.sealedOnce && f.writers == 0) {
        // closed, its commit postponed by the write-back delay: it uploads as any closed file whose upload
        // is in flight at an unlink, then the caller deletes it
        commitLocked(f);
      }
      if (f.staged != null) {
        f.staged.abort("unlinked while open");
        StagedFile s = f.staged;
        if (f.writeBack != null) {
          f.writeBack.cancel(false);
          f.writeBack = null;
        }
        f.sealed = false;
        f.sealedOnce = false;
        f.staged = null;
        s.close();
      }
      f.unlinked = true;
      wait = f.committing;
    }
    if (wait != null) {
      try {
        await(wait);
      } catch (IOException e) {
        // the upload of a file being deleted failed: nothing to keep
      }
    }
    live.remove(key, f);
  }

  /** After a rename moved {@code fromKey} to {@code toKey} in the store. */
  void rekey(String fromKey, String toKey, ObjectInfo moved) {
    synchronized (failed) {
      // the replaced file is gone; a moved file's failure goes with it
      failed.remove(toKey);
      FailedUpload u = failed.remove(fromKey);
      if (u != null) {
        failed.put(toKey, new FailedUpload(toKey, u.operationId(), u.reason()));
      }
    }
    LiveFile f = live.get(fromKey);
    if (f == null) {
      return;
    }
    synchronized (f) {
      f.key = toKey;
      if (moved != null) {
        f.base = moved;
      }
      live.remove(fromKey, f);
      if (f.busy()) {
        live.put(toKey, f);
      }
    }
  }

  /** Files whose latest bytes are not in the store, by key (see {@link FailedUpload}). */
  private final Map<String, FailedUpload> failed = new java.util.LinkedHashMap<>();

  /** The upload of {@code key}'s latest bytes failed: reported until a later one of the key succeeds. */
  void uploadFailed(String key, String operationId, String reason) {
    synchronized (failed) {
      failed.put(key, new FailedUpload(key, operationId, reason));
    }
  }

  /** The store holds {@code key}'s latest bytes again, or the file is gone: nothing to report. */
  void uploadSettled(String key) {
    synchronized (failed) {
      failed.remove(key);
    }
  }

  /** Files whose latest bytes are not in the store. */
  List<FailedUpload> failedUploads() {
    synchronized (failed) {
      return new ArrayList<>(failed.values());
    }
  }

  /** The failure of {@code key}'s latest upload, or null. */
  FailedUpload failedUpload(String key) {
    synchronized (failed) {
      return failed.get(key);
    }
  }

  /** Every live file whose upload has not finished (for sync). */
  List<LiveFile> all() {
    return new ArrayList<>(live.values());
  }

}

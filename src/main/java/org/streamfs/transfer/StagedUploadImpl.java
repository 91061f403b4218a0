package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChunkLayout;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.Sha256;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;

/**
 * One staged upload (see {@link StagedUpload}). Chunk state lives here, guarded by {@code this}: a
 * generation per chunk bumped by every {@link #markDirty}, the generation last sent, and the store's
 * receipt. The catalog holds a record per dirty chunk (written once per chunk per upload cycle, not per
 * write) so a crash knows which chunks come from staging and which are copied from the base version.
 * Completion ({@link #completeNow}) runs on the engine's completion pool: chunks not dirty and inside the
 * base are copied server-side, chunks whose receipt is still valid are kept, the rest are read from the
 * staging file and sent by the workers; then the upload completes and the staging file is deleted.
 */
final class StagedUploadImpl implements StagedUpload {
  private static final Logger LOG = LoggerFactory.getLogger(StagedUploadImpl.class);
  static final String STAGE = "streamfs.stage";
  static final String STAGING = "streamfs.staging";
  static final String BASE_KEY = "streamfs.base-key";
  static final String BASE_VERSION = "streamfs.base-version";
  static final String BASE_SIZE = "streamfs.base-size";
  /**
   * Set while a closed file's session is still open for writes (sealed, not committed): its staged file may
   * have changed since the close, so a resume takes its size from the staged file.
   */
  static final String SEALED = "streamfs.sealed";
  /** Operation metadata: what the key must hold for the completion to land ({@link #encode}). */
  static final String EXPECT = "streamfs.expect";
  static final String USER_PREFIX = "user.";
  /**
   * Object metadata naming the operation that published it: a completion refused as a conflict checks it, so
   * that its own earlier attempt (whose answer was lost, or which landed just before a crash) is not taken
   * for another writer's.
   */
  static final String META_WRITER = "streamfs-writer";
  /** Operation metadata: the key this write was published under instead, after a conflict. */
  static final String CONFLICT_COPY = "streamfs.conflict-copy";

  private static final class Chunk {
    int gen;
    int sentGen = -1;
    boolean inFlight;
    boolean dirty;
    /** Holds written bytes (not a hole): counts against the staging bound until confirmed. */
    boolean data;
    boolean dirtyPersisted;
    PartReceipt receipt;
    String sha;
  }

  private final EngineContext ctx;
  private final Saga saga;
  private final StagedUploads owner;
  private final Path staging;
  private final ObjectInfo base;
  /** What the key must hold when the object lands: the base, or nothing for a new file, or anything. */
  private final Expect expect;
  private final long chunkSize;
  private final Map<String, String> initialMeta;
  private final Semaphore queue;
  private final Map<Integer, Chunk> chunks = new HashMap<>();
  private StreamingOperation op;
  private String uploadId;
  private IOException failure;
  private boolean committed;
  private boolean aborted;
  private int inFlight;
  /** Chunks that {@link #counts} (kept as they change: the staging bound asks on every write). */
  private int unconfirmedData;
  private long bytesUploaded;
  /** Whole-file SHA-256 over chunks 0..hashed-1, fed in order as chunks are read for upload. */
  private java.security.MessageDigest whole = Sha256.newDigest();
  private int hashed;

  StagedUploadImpl(EngineContext ctx, Saga saga, StagedUploads owner, StreamingOperation op, Path staging,
      ObjectInfo base, Map<String, String> initialMeta, Expect expect) {
    this.ctx = ctx;
    this.expect = expect;
    this.saga = saga;
    this.owner = owner;
    this.op = op;
    this.staging = staging;
    this.base = base;
    this.chunkSize = op.chunkSizeBytes();
    this.uploadId = op.uploadId();
    this.initialMeta = initialMeta;
    this.queue = new Semaphore(Math.max(2, 2 * ctx.config.parallelChunks()));
  }

  /** Restores chunk state from catalog records (after a crash): records are dirty chunks. */
  void restore(List<ChunkMetadata> records) {
    synchronized (this) {
      for (ChunkMetadata r : records) {
        Chunk c = chunk(r.chunkIndex());
        c.dirty = true;
        c.dirtyPersisted = true;
        if (r.uploaded() && r.etag() != null) {
          c.sentGen = 0;
          c.sha = r.checksum();
          c.receipt = new PartReceipt(r.partNumber(), r.sizeBytes(), r.etag(), r.checksum());
        }
      }
      committed = true;
    }
  }

  @Override
  public String operationId() {
    return op.operationId();
  }

  @Override
  public String key() {
    return op.key();
  }

  @Override
  public long chunkSize() {
    return chunkSize;
  }

  synchronized StreamingOperation op() {
    return op;
  }

  private Chunk chunk(int i) {
    return chunks.computeIfAbsent(i, k -> new Chunk());
  }

  @Override
  public void markDirty(int index) {
    mark(index, true);
  }

  @Override
  public void markZeroed(int index) {
    mark(index, false);
  }

  private void mark(int index, boolean data) {
    StreamingOperation snapshot = null;
    ChunkMetadata record = null;
    synchronized (this) {
      Chunk c = chunk(index);
      boolean before = counts(c);
      c.gen++;
      c.dirty = true;
      c.data |= data;
      if (index < hashed) {
        whole = Sha256.newDigest();
        hashed = 0;
      }
      unconfirmedData += (counts(c) ? 1 : 0) - (before ? 1 : 0);
      if (!c.dirtyPersisted || c.receipt != null) {
        c.dirtyPersisted = true;
        c.receipt = null;
        record = ChunkMetadata.pending(index, index * chunkSize, chunkSize);
        long seen = (index + 1) * chunkSize;
        if (seen > op.totalSizeBytes()) {
          op = op.withSize(seen, chunkSize);
        }
        snapshot = op;
      }
    }
    if (record != null) {
      ctx.catalog.checkpoint(snapshot, record);
    }
  }

  @Override
  public void truncated(long newSize) {
    synchronized (this) {
      int cut = (int) (newSize / chunkSize);
      int kept = (int) ((newSize + chunkSize - 1) / chunkSize);
      if (hashed > cut) {
        whole = Sha256.newDigest();
        hashed = 0;
      }
      for (Map.Entry<Integer, Chunk> e : chunks.entrySet()) {
        int i = e.getKey();
        Chunk c = e.getValue();
        if (i < cut) {
          continue;
        }
        boolean before = counts(c);
        c.gen++;
        if (c.receipt != null) {
          // its catalog record says "uploaded": the next mark must write a pending one again
          c.dirtyPersisted = false;
        }
        c.receipt = null;
        if (i >= kept) {
          c.dirty = false;
          c.data = false;
        }
        unconfirmedData += (counts(c) ? 1 : 0) - (before ? 1 : 0);
      }
      notifyAll();
    }
  }

  @Override
  public synchronized long unconfirmedBytes() {
    return unconfirmedData * chunkSize;
  }

  /** Holds written data whose current generation the store has not confirmed. */
  private static boolean counts(Chunk c) {
    return c.data && c.dirty && !confirmed(c);
  }

  private static boolean confirmed(Chunk c) {
    return c.sentGen == c.gen && c.receipt != null;
  }

  @Override
  public synchronized boolean sending() {
    return inFlight > 0;
  }

  @Override
  public synchronized int pushable(int below) {
    if (aborted || failure != null) {
      return 0;
    }
    int n = 0;
    for (Map.Entry<Integer, Chunk> e : chunks.entrySet()) {
      Chunk c = e.getValue();
      if (e.getKey() < below && counts(c) && !c.inFlight) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void pushDirty(int below) {
    List<Integer> todo = new ArrayList<>();
    synchronized (this) {
      if (aborted || failure != null) {
        return;
      }
      for (Map.Entry<Integer, Chunk> e : chunks.entrySet()) {
        Chunk c = e.getValue();
        if (e.getKey() < below && counts(c) && !c.inFlight) {
          todo.add(e.getKey());
        }
      }
    }
    todo.sort(null);
    for (int i : todo) {
      chunkComplete(i);
    }
  }

  @Override
  public void chunkComplete(int index) {
    synchronized (this) {
      Chunk c = chunk(index);
      if (!c.dirty || c.inFlight || c.sentGen == c.gen || aborted || failure != null) {
        return;
      }
    }
    try {
      queue.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    int gen;
    synchronized (this) {
      Chunk c = chunk(index);
      if (c.inFlight || c.sentGen == c.gen || aborted) {
        queue.release();
        return;
      }
      c.inFlight = true;
      gen = c.gen;
      inFlight++;
    }
    ctx.workers.execute(() -> {
      try {
        send(index, gen, chunkSize);
      } catch (IOException | RuntimeException | Error e) {
        IOException io = e instanceof IOException x ? x : new IOException("upload of chunk " + index + " failed: "
            + e, e);
        synchronized (this) {
          if (failure == null) {
            failure = io;
          }
        }
        LOG.warn("background upload of chunk {} of {} failed: {}", index, key(), io.getMessage());
      } finally {
        queue.release();
        synchronized (this) {
          chunk(index).inFlight = false;
          inFlight--;
          notifyAll();
        }
      }
    });
  }

  /** Reads chunk {@code index} ({@code length} bytes) from staging and sends it as a part. */
  private void send(int index, int gen, long length) throws IOException {
    String id = ensureUploadId();
    ByteBuffer buf = owner.buffers().acquire();
    PartReceipt r;
    byte[] digest;
    try {
      buf.limit((int) length);
      try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.READ)) {
        FileUploader.readFully(ch, buf, index * chunkSize);
      } catch (IOException e) {
        boolean shrank = Files.size(staging) < index * chunkSize + length;
        synchronized (this) {
          if (chunk(index).gen != gen || aborted || (shrank && !committed)) {
            // the file was truncated (or rewritten) under this send: the chunk's new content goes later
            // (the spool file is always as long as the file, so it is shorter only after a truncate)
            LOG.debug("chunk {} of {} changed while being read for upload; part dropped", index, key());
            return;
          }
        }
        throw e;
      }
      buf.flip();
      digest = Sha256.digest(buf);
      synchronized (this) {
        if (index == hashed && length == chunkSize && chunk(index).gen == gen) {
          whole.update(buf.duplicate());
          hashed++;
        }
      }
      r = ctx.retry.run("upload part " + (index + 1) + " of " + key(),
          () -> ctx.store.uploadPart(key(), id, index + 1, buf, digest));
    } finally {
      owner.buffers().release(buf);
    }
    String sha = Sha256.hex(digest);
    StreamingOperation snapshot = null;
    ChunkMetadata record = null;
    synchronized (this) {
      Chunk c = chunk(index);
      bytesUploaded += length;
      if (c.gen == gen && !aborted) {
        boolean before = counts(c);
        c.sentGen = gen;
        c.receipt = new PartReceipt(r.partNumber(), length, r.etag(), sha);
        unconfirmedData += (counts(c) ? 1 : 0) - (before ? 1 : 0);
        c.sha = sha;
        record = ChunkMetadata.pending(index, index * chunkSize, length).confirmed(sha, r.etag());
        op = op.withChunksCompleted(op.chunksCompleted() + 1);
        snapshot = op;
      }
    }
    if (record != null) {
      ctx.catalog.checkpoint(snapshot, record);
    }
  }

  /**
   * The store no longer knows this upload: its abort is no longer owed, and the next part begins a new
   * upload (every part is sent again).
   */
  synchronized void forgetUpload() throws IOException {
    if (uploadId != null) {
      saga.forgetUpload(op.operationId(), uploadId);
    }
    uploadId = null;
  }

  private synchronized String ensureUploadId() throws IOException {
    if (uploadId == null) {
      String key = key();
      Map<String, String> meta = new LinkedHashMap<>(initialMeta);
      meta.put(FileUploader.META_CHUNK, Long.toString(chunkSize));
      meta.put(META_WRITER, op.operationId());
      uploadId = ctx.retry.run("begin upload of " + key, () -> ctx.store.beginUpload(key, meta));
      op = op.withUploadId(uploadId);
      ctx.catalog.putOperation(op);
      saga.recordAbortUpload(op, uploadId);
    }
    return uploadId;
  }

  @Override
  public synchronized IOException failure() {
    return failure;
  }

  @Override
  public synchronized long bytesUploaded() {
    return bytesUploaded;
  }

  @Override
  public CompletableFuture<ObjectInfo> commit(long size, Map<String, String> metadata) throws IOException {
    close(size, metadata, true);
    return owner.enqueueCompletion(this);
  }

  @Override
  public void seal(long size, Map<String, String> metadata) throws IOException {
    close(size, metadata, false);
  }

  /**
   * Records the file closed at {@code size} (staged bytes fsynced first); a commit also ends the session, a
   * seal leaves it open for more writes and marks it {@link #SEALED}, so a resume after a crash takes the
   * staged file's size at the crash.
   */
  private void close(long size, Map<String, String> metadata, boolean commit) throws IOException {
    StreamingOperation closed;
    synchronized (this) {
      if (failure != null) {
        throw failure;
      }
      if (aborted) {
        throw new IOException("upload of " + key() + " was rolled back");
      }
      committed |= commit;
      Map<String, String> meta = new LinkedHashMap<>(op.metadata());
      meta.put(STAGE, "closed");
      if (commit) {
        meta.remove(SEALED);
      } else {
        meta.put(SEALED, "true");
      }
      meta.keySet().removeIf(k -> k.startsWith(USER_PREFIX));
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        meta.put(USER_PREFIX + e.getKey(), e.getValue());
      }
      op = op.withSize(size, chunkSize).withMetadata(meta);
      if (commit) {
        op = op.withStatus(OperationStatus.PENDING);
      }
      closed = op;
    }
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    ctx.catalog.putOperation(closed);
  }

  @Override
  public void updateMetadata(Map<String, String> metadata) {
    StreamingOperation snapshot;
    synchronized (this) {
      if (!committed && !op.metadata().containsKey(SEALED) || aborted || !op.status().isActive()) {
        return;
      }
      Map<String, String> meta = new LinkedHashMap<>(op.metadata());
      meta.keySet().removeIf(k -> k.startsWith(USER_PREFIX));
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        meta.put(USER_PREFIX + e.getKey(), e.getValue());
      }
      op = op.withMetadata(meta);
      snapshot = op;
    }
    ctx.catalog.putOperation(snapshot);
  }

  /** Metadata the object should get: the user entries recorded at commit. */
  Map<String, String> finalMetadata() {
    return userMetadata(op());
  }

  /** The user entries recorded at commit in {@code op}'s metadata, without their prefix. */
  static Map<String, String> userMetadata(StreamingOperation op) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : op.metadata().entrySet()) {
      if (e.getKey().startsWith(USER_PREFIX)) {
        m.put(e.getKey().substring(USER_PREFIX.length()), e.getValue());
      }
    }
    return m;
  }

  /**
   * Completes the upload (runs on the completion pool), on condition that the store still holds the base
   * version this session started from (or still holds nothing, for a new file). When another writer got
   * there first, the store refuses and this throws a {@link ConflictException}: with on-conflict copy, after
   * publishing these bytes as a conflict copy next to the winner; with fail, leaving them staged.
   */
  ObjectInfo completeNow(Map<Integer, PartReceipt> remote) throws IOException {
    StreamingOperation o = op();
    ChunkLayout layout = new ChunkLayout(o.totalSizeBytes(), chunkSize);
    Map<String, String> meta = finalMetadata();
    synchronized (this) {
      op = op.withStatus(OperationStatus.IN_PROGRESS);
      ctx.catalog.putOperation(op);
    }
    awaitInFlight();
    ObjectInfo info;
    List<String> shas = new ArrayList<>();
    if (layout.chunkCount() <= 1) {
      byte[] data;
      try {
        data = readSmall(layout);
      } catch (StoreException e) {
        throw conflictIfBaseGone(e, layout, meta, null);
      }
      shas.add(Sha256.hex(Sha256.digest(data)));
      Map<String, String> m = new LinkedHashMap<>(meta);
      m.put(FileUploader.META_SHA256, shas.get(0));
      m.put(META_WRITER, o.operationId());
      try {
        info = ctx.retry.run("put " + key(), () -> ctx.store.put(key(), data, m, expect));
      } catch (StoreException e) {
        info = ownOrConflict(e, layout, meta, data);
      }
      String id;
      synchronized (this) {
        id = uploadId;
      }
      if (id != null) {
        saga.settle(o.operationId(), null);
      }
      if (layout.chunkCount() == 0) {
        shas.clear();
      }
    } else {
      String id = ensureUploadId();
      try {
        List<PartReceipt> parts = sendRemaining(layout, id, remote, shas);
        try {
          info = complete(id, parts, expect, layout, meta);
        } catch (StoreException e) {
          synchronized (this) {
            if (e.kind() != StoreException.Kind.NOT_FOUND || aborted) {
              throw e; // a cancelled upload stays cancelled
            }
          }
          // the upload is gone: typically a completion that went through but whose reply was lost, so the
          // retry found nothing to complete. The staged file is whole: send it again under a new upload.
          LOG.info("upload {} of {} is gone from the store at completion; sending the staged file again", id,
              key());
          forgetUpload();
          id = ensureUploadId();
          shas.clear();
          info = complete(id, sendRemaining(layout, id, Map.of(), shas), expect, layout, meta);
        }
      } catch (StoreException e) {
        throw conflictIfBaseGone(e, layout, meta, null);
      }
      saga.forgetUpload(o.operationId(), id);
      if (!meta.equals(initialMeta) && !meta.isEmpty()) {
        ObjectInfo done = info;
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put(META_WRITER, o.operationId());
        info = ctx.retry.run("update metadata of " + key(), () -> ctx.store.updateMetadata(key(), m));
        LOG.debug("{}: metadata changed while writing; updated {} -> {}", key(), done.version(), info.version());
      }
    }
    boolean verifiable = shas.stream().allMatch(Objects::nonNull);
    String wholeSha = layout.chunkCount() <= 1 ? (shas.isEmpty() ? Sha256.hex(Sha256.digest(new byte[0]))
        : shas.get(0)) : wholeSha(layout);
    ctx.manifests.put(key(), info.version(), new ChunkManifest(o.totalSizeBytes(), chunkSize,
        verifiable ? shas : List.of(), wholeSha));
    ctx.manifests.retireOthers(key(), info.version());
    synchronized (this) {
      op = op.withChecksum(wholeSha);
    }
    return info;
  }

  private ObjectInfo complete(String id, List<PartReceipt> parts, Expect expect, ChunkLayout layout,
      Map<String, String> meta) throws IOException {
    try {
      return ctx.retry.run("complete upload of " + key(), () -> ctx.store.completeUpload(key(), id, parts,
          expect));
    } catch (StoreException e) {
      ObjectInfo own = ownOrConflict(e, layout, meta, null);
      // this upload's bytes are already the object (an earlier upload of this operation landed): drop it
      try {
        ctx.store.abortUpload(key(), id);
        saga.forgetUpload(operationId(), id);
      } catch (IOException again) {
        LOG.debug("{}: upload {} not needed, abort failed: {}", key(), id, again.toString());
      }
      return own;
    }
  }

  /**
   * A publish was refused ({@code e}): if the key holds this operation's own object (an earlier attempt
   * landed), that is the result; a CONFLICT otherwise becomes a {@link ConflictException}; any other
   * failure is rethrown.
   */
  private ObjectInfo ownOrConflict(StoreException e, ChunkLayout layout, Map<String, String> meta, byte[] small)
      throws IOException {
    if (e.kind() != StoreException.Kind.CONFLICT) {
      throw e;
    }
    ObjectInfo now = current(key());
    if (now != null && operationId().equals(now.metadata().get(META_WRITER))) {
      LOG.info("{}: an earlier attempt of this upload had already landed (version {})", key(), now.version());
      return now;
    }
    throw conflict(now, layout, meta, small, e);
  }

  /**
   * Reading or copying from the base failed ({@code e}): if the base version is no longer what the key
   * holds, another writer replaced it and this is a conflict; else {@code e} is rethrown.
   */
  private IOException conflictIfBaseGone(StoreException e, ChunkLayout layout, Map<String, String> meta,
      byte[] small) throws IOException {
    if (base == null || expect.isAny() || (e.kind() != StoreException.Kind.PRECONDITION_FAILED
        && e.kind() != StoreException.Kind.NOT_FOUND)) {
      return e;
    }
    synchronized (this) {
      if (aborted) {
        return e; // a cancelled upload stays cancelled
      }
    }
    ObjectInfo now = current(base.key());
    if (now != null && now.version().equals(base.version())) {
      return e;
    }
    return conflict(now, layout, meta, small, e);
  }

  private ObjectInfo current(String key) throws StoreException {
    try {
      return ctx.retry.run("stat " + key, () -> ctx.store.stat(key));
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.TRANSIENT, key, e.getMessage(), e);
    }
  }

  /**
   * Another writer replaced the base (the key now holds {@code now}, null if nothing): publishes this
   * session's bytes as a conflict copy (on-conflict copy) or leaves them staged, and says so in the log.
   */
  private ConflictException conflict(ObjectInfo now, ChunkLayout layout, Map<String, String> meta, byte[] small,
      IOException cause) {
    String from = expect.isAbsent() ? "no object (a new file)" : "version " + expect.version();
    String to = now == null ? "no object (removed)" : "version " + now.version();
    String what = "conflict: another writer changed " + key() + " from " + from + " to " + to
        + " while it was being written here";
    if (ctx.onConflict == OnConflict.COPY) {
      try {
        ObjectInfo copy = publishCopy(layout, meta, small);
        if (copy != null) {
          LOG.warn("{}; this write (operation {}) is saved as {} (version {}), the store keeps the other"
              + " writer's {} at {}", what, operationId(), copy.key(), copy.version(), to, key());
          return new ConflictException(key(), now, copy, what + "; this write is saved as " + copy.key(), cause);
        }
        what += "; no conflict copy could be made (chunks not written here were in the replaced version,"
            + " which the store no longer has)";
      } catch (IOException | RuntimeException e) {
        what += "; the conflict copy failed: " + e.getMessage();
      }
    }
    LOG.warn("{}; this write (operation {}) is not published, its staged bytes are kept: 'streamfs recover {}"
        + " DEST'", what, operationId(), operationId());
    return new ConflictException(key(), now, null, what, cause);
  }

  /**
   * Publishes the staged file under a conflict name next to the key (never over an existing object); null
   * when some chunk would have to come from the base version, which is gone.
   */
  private ObjectInfo publishCopy(ChunkLayout layout, Map<String, String> meta, byte[] small) throws IOException {
    synchronized (this) {
      for (int i = 0; i < layout.chunkCount(); i++) {
        if (!chunk(i).dirty && base != null && layout.offset(i) + layout.size(i) <= base.size()) {
          return null;
        }
      }
    }
    Map<String, String> m = new LinkedHashMap<>(meta);
    m.put(META_WRITER, operationId());
    m.put(FileUploader.META_CHUNK, Long.toString(chunkSize));
    for (int n = 1; ; n++) {
      String copyKey = ConflictNames.copyKey(key(), ctx.host, java.time.Instant.now(), n);
      StoreKeys.validate(copyKey, ctx.store.limits().maxKeyBytes());
      try {
        ObjectInfo copy;
        List<String> shas = new ArrayList<>();
        String wholeSha = null;
        if (layout.chunkCount() <= 1) {
          byte[] data = small != null ? small : readSmall(layout);
          wholeSha = Sha256.hex(Sha256.digest(data));
          m.put(FileUploader.META_SHA256, wholeSha);
          copy = ctx.retry.run("put " + copyKey, () -> ctx.store.put(copyKey, data, m, Expect.ABSENT));
          if (layout.chunkCount() == 1) {
            shas.add(wholeSha);
          }
        } else {
          copy = uploadCopy(copyKey, layout, m, shas);
        }
        // the copy is verified like any object this mount publishes, on every machine
        ctx.manifests.put(copy.key(), copy.version(), new ChunkManifest(layout.totalSize(), chunkSize, shas,
            wholeSha));
        synchronized (this) {
          Map<String, String> om = new LinkedHashMap<>(op.metadata());
          om.put(CONFLICT_COPY, copy.key());
          op = op.withMetadata(om);
        }
        return copy;
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.CONFLICT || n >= 20) {
          throw e;
        }
        // that name is taken (another conflict in the same second): the next one
      }
    }
  }

  /** Sends every chunk of the staged file as a new upload at {@code copyKey}, completed only onto nothing. */
  private ObjectInfo uploadCopy(String copyKey, ChunkLayout layout, Map<String, String> m, List<String> shas)
      throws IOException {
    String id = ctx.retry.run("begin upload of " + copyKey, () -> ctx.store.beginUpload(copyKey, m));
    saga.recordAbortUpload(operationId(), copyKey, id);
    try {
      List<PartReceipt> parts = new ArrayList<>();
      ByteBuffer buf = owner.buffers().acquire();
      try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.READ)) {
        for (int i = 0; i < layout.chunkCount(); i++) {
          buf.clear().limit((int) layout.size(i));
          FileUploader.readFully(ch, buf, layout.offset(i));
          buf.flip();
          byte[] digest = Sha256.digest(buf);
          int part = i + 1;
          PartReceipt r = ctx.retry.run("upload part " + part + " of " + copyKey,
              () -> ctx.store.uploadPart(copyKey, id, part, buf, digest));
          parts.add(new PartReceipt(r.partNumber(), layout.size(i), r.etag(), Sha256.hex(digest)));
          shas.add(Sha256.hex(digest));
        }
      } finally {
        owner.buffers().release(buf);
      }
      ObjectInfo info = ctx.retry.run("complete upload of " + copyKey,
          () -> ctx.store.completeUpload(copyKey, id, parts, Expect.ABSENT));
      saga.forgetUpload(operationId(), id);
      return info;
    } catch (IOException | RuntimeException e) {
      try {
        ctx.store.abortUpload(copyKey, id);
        saga.forgetUpload(operationId(), id);
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  /** {@code any}, {@code absent} or {@code version:V}, as kept in the operation's metadata. */
  static String encode(Expect e) {
    return e.isAny() ? "any" : e.isAbsent() ? "absent" : "version:" + e.version();
  }

  /** The inverse of {@link #encode}; an operation recorded before conditions existed completes as before. */
  static Expect decode(String s) {
    if (s == null || s.equals("any")) {
      return Expect.ANY;
    }
    return s.equals("absent") ? Expect.ABSENT : Expect.version(s.substring("version:".length()));
  }

  /** Most bytes {@link #wholeSha} reads again to finish the whole-file checksum of a file written out of order. */
  private static final long WHOLE_SHA_TAIL = 64L << 20;

  /**
   * The whole file's SHA-256 when every byte came from staging (no chunk copied from a base version): the
   * chunks hashed in order while they were sent, then the rest read from the staging file. Null otherwise.
   */
  private String wholeSha(ChunkLayout layout) throws IOException {
    java.security.MessageDigest md;
    int from;
    synchronized (this) {
      for (int i = 0; i < layout.chunkCount(); i++) {
        Chunk c = chunk(i);
        if (!c.dirty && base != null && layout.offset(i) + layout.size(i) <= base.size()) {
          return null;
        }
      }
      from = Math.min(hashed, layout.chunkCount());
      if (layout.totalSize() - layout.offset(from) > WHOLE_SHA_TAIL) {
        // written out of order (a random writer, a sparse file): the chunks' checksums are recorded, a
        // second pass over the whole file for one more is not paid
        return null;
      }
      md = whole;
      whole = Sha256.newDigest();
      hashed = 0;
    }
    ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.READ)) {
      long pos = layout.offset(from);
      long end = layout.totalSize();
      while (pos < end) {
        b.clear().limit((int) Math.min(b.capacity(), end - pos));
        int n = ch.read(b, pos);
        if (n < 0) {
          break;
        }
        b.flip();
        md.update(b);
        pos += n;
      }
    }
    return Sha256.hex(md.digest());
  }

  private byte[] readSmall(ChunkLayout layout) throws IOException {
    int size = (int) layout.totalSize();
    byte[] data = new byte[size];
    if (size == 0) {
      return data;
    }
    Chunk c;
    synchronized (this) {
      c = chunk(0);
    }
    if (!c.dirty && base != null && size <= base.size()) {
      try (InputStream in = ctx.retry.run("read " + base.key(),
          () -> ctx.store.read(base.key(), 0, size, base.version()))) {
        int off = 0;
        while (off < size) {
          int n = in.read(data, off, size - off);
          if (n < 0) {
            throw new StoreException(StoreException.Kind.TRANSIENT, base.key(), "short read");
          }
          off += n;
        }
      }
      return data;
    }
    try (FileChannel ch = FileChannel.open(staging, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        if (ch.read(b, b.position()) < 0) {
          break;
        }
      }
    }
    return data;
  }

  private List<PartReceipt> sendRemaining(ChunkLayout layout, String id, Map<Integer, PartReceipt> remote,
      List<String> shas) throws IOException {
    ChunkManifest baseManifest = base == null ? null : ctx.manifests.lookup(base);
    List<Integer> toSend = new ArrayList<>();
    PartReceipt[] parts = new PartReceipt[layout.chunkCount()];
    for (int i = 0; i < layout.chunkCount(); i++) {
      long off = layout.offset(i);
      long len = layout.size(i);
      Chunk c;
      synchronized (this) {
        c = chunk(i);
      }
      if (!c.dirty && base != null && off + len <= base.size()) {
        final int part = i + 1;
        parts[i] = ctx.retry.run("copy part " + part + " of " + key(), () -> ctx.store.copyPart(key(), id, part,
            base.key(), base.version(), off, len));
        shas.add(baseManifest != null && baseManifest.chunkSize() == chunkSize ? baseManifest.expected(i) : null);
        continue;
      }
      PartReceipt r = c.receipt;
      PartReceipt held = remote == null ? null : remote.get(i + 1);
      boolean valid = r != null && c.sentGen == c.gen && r.size() == len
          && (remote == null || (held != null && held.size() == len && Objects.equals(held.etag(), r.etag())));
      if (valid) {
        parts[i] = r;
        shas.add(c.sha);
      } else {
        toSend.add(i);
        shas.add(null);
      }
    }
    for (int i : toSend) {
      int gen;
      synchronized (this) {
        Chunk c = chunk(i);
        c.dirty = true;
        gen = c.gen;
        c.inFlight = true;
        inFlight++;
      }
      final int index = i;
      ctx.workers.execute(() -> {
        try {
          send(index, gen, layout.size(index));
        } catch (IOException | RuntimeException | Error e) {
          IOException io = e instanceof IOException x ? x : new IOException("upload of chunk " + index
              + " failed: " + e, e);
          synchronized (this) {
            if (failure == null) {
              failure = io;
            }
          }
        } finally {
          synchronized (this) {
            chunk(index).inFlight = false;
            inFlight--;
            notifyAll();
          }
        }
      });
    }
    awaitInFlight();
    synchronized (this) {
      if (failure != null) {
        throw failure;
      }
      for (int i : toSend) {
        parts[i] = chunk(i).receipt;
        shas.set(i, chunk(i).sha);
        if (parts[i] == null) {
          throw new IOException("chunk " + i + " of " + key() + " was not confirmed by the store");
        }
      }
    }
    return List.of(parts);
  }

  private synchronized void awaitInFlight() throws IOException {
    while (inFlight > 0) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for uploads of " + key());
      }
    }
  }

  /** Marks the operation completed and removes the staging file. */
  void completed(ObjectInfo info) throws IOException {
    StreamingOperation done;
    synchronized (this) {
      Map<String, String> meta = new LinkedHashMap<>(op.metadata());
      meta.put(STAGE, "completed");
      meta.put("version", info.version());
      done = op.withMetadata(meta).withChunksCompleted(op.chunksTotal())
          .withStatus(OperationStatus.COMPLETED, null);
      op = done;
    }
    ctx.catalog.putOperationWithChunks(done, List.of());
    saga.settle(done.operationId(), null);
    Files.deleteIfExists(staging);
  }

  /**
   * After a conflict whose bytes were published as a conflict copy: the operation is completed, its message
   * says where the bytes went, the upload at the key is aborted (its saga step) and the staging file removed.
   */
  void completedAsCopy(ConflictException c) throws IOException {
    StreamingOperation done;
    synchronized (this) {
      Map<String, String> meta = new LinkedHashMap<>(op.metadata());
      meta.put(STAGE, "completed");
      meta.put(CONFLICT_COPY, c.copy().key());
      meta.put("version", c.copy().version());
      done = op.withMetadata(meta).withChunksCompleted(op.chunksTotal())
          .withStatus(OperationStatus.COMPLETED, c.getMessage());
      op = done;
    }
    ctx.catalog.putOperationWithChunks(done, List.of());
    saga.settle(done.operationId(), null);
    Files.deleteIfExists(staging);
  }

  @Override
  public void abort(String reason) {
    synchronized (this) {
      if (aborted) {
        return;
      }
      aborted = true;
    }
    try {
      awaitInFlight();
      saga.rollback(operationId(), OperationStatus.FAILED, reason + "; staged bytes kept: 'streamfs recover "
          + operationId() + " DEST'");
      synchronized (this) {
        op = ctx.operation(operationId());
        uploadId = null;
      }
      ctx.finished(op());
    } catch (IOException e) {
      LOG.warn("rollback of {} ({}) incomplete: {}", operationId(), key(), e.getMessage());
    }
  }

  synchronized boolean isCommitted() {
    return committed;
  }

  Path staging() {
    return staging;
  }

  ObjectInfo base() {
    return base;
  }

  synchronized void failed(IOException e) {
    if (failure == null) {
      failure = e;
    }
  }
}

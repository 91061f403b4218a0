package org.streamfs.fs;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.streamfs.staging.StagedFile;
import org.streamfs.store.ObjectInfo;

/**
 * A file the mount is working on: open, being written, or still uploading after close. It holds the stored
 * version it started from ({@code base}, null for a new file), the staged bytes while a write session is
 * open, the commit in flight, the metadata that the next commit will store, and the handle counts. Fields
 * are guarded by the object's monitor; see {@code package-info} for the lock order.
 */
final class LiveFile {
  String key;
  ObjectInfo base;
  /**
   * For a file created here (no base): the stored object the create replaces, as this mount last saw it
   * (the kernel thought the name free), or null if none. Its first commit lands only on that, or on nothing.
   */
  ObjectInfo replaces;
  StagedFile staged;
  CompletableFuture<ObjectInfo> committing;
  /** The staged file whose commit is in flight (kept readable until the store holds the object). */
  StagedFile uploading;
  Map<String, String> meta;
  int handles;
  int writers;
  boolean unlinked;
  /**
   * The commit the write-back delay postponed (the session is sealed: closed durably, still open for
   * writes), null if none; {@code writeBackSeq} tells a stale timer from the current one.
   */
  java.util.concurrent.ScheduledFuture<?> writeBack;
  long writeBackSeq;
  /** The open session was sealed at a close and not written since (a release need not seal it again). */
  boolean sealed;
  /** The open session was sealed at least once: it holds closed bytes and is never rolled back. */
  boolean sealedOnce;
  /** Metadata changed while a commit was in flight: store it once the object exists. */
  boolean metaAfterCommit;
  IOException failure;
  /**
   * The last commit lost a race to another writer (see {@code ConflictException}): what happened, shown by
   * the status attribute until the next write session.
   */
  String conflict;
  /** A write failed for lack of local disk: the session was rolled back; writers get this until released. */
  IOException poisoned;
  /**
   * For an upload the engine resumed after a restart (no staged file here): the file's size, and where its
   * uploaded bytes are read; -1 / null otherwise. Reads of such a file wait for the upload.
   */
  long resumedSize = -1;
  java.util.function.LongSupplier resumedUploaded;

  LiveFile(String key, ObjectInfo base, Map<String, String> meta) {
    this.key = key;
    this.base = base;
    this.meta = new HashMap<>(meta);
    this.meta.keySet().removeIf(k -> k.startsWith("streamfs-"));
  }

  /** Current attributes: the stored ones, with the staged size and the pending metadata. */
  synchronized Attr attr(long uid, long gid) {
    long size = staged != null ? staged.size() : uploading != null ? uploading.size()
        : resuming() ? resumedSize : base != null ? base.size() : 0;
    ObjectInfo view = new ObjectInfo(key, size, base == null ? "" : base.version(),
        base == null ? java.time.Instant.now() : base.lastModified(), meta);
    return Meta.attr(view, uid, gid);
  }

  /** Whether this is a resumed upload still in flight. */
  synchronized boolean resuming() {
    return resumedSize >= 0 && committing != null && staged == null;
  }

  /** Whether the mount must keep this entry (open, or an upload still in flight). */
  synchronized boolean busy() {
    return handles > 0 || staged != null || committing != null;
  }

  /** {@code user.streamfs.status}: writing, uploading, failed: reason, or stored. */
  synchronized String status() {
    if (staged != null) {
      return "writing";
    }
    if (committing != null) {
      return "uploading";
    }
    if (failure != null) {
      return "failed: " + failure.getMessage();
    }
    if (conflict != null) {
      return conflict;
    }
    return base == null ? "new" : "stored";
  }

  /** {@code user.streamfs.progress}: "UPLOADED/TOTAL bytes (P%)". */
  synchronized String progress() {
    StagedFile s = staged != null ? staged : uploading;
    if (s == null && resuming()) {
      long up = Math.min(resumedSize, resumedUploaded.getAsLong());
      long pct = resumedSize == 0 ? 100 : up * 100 / resumedSize;
      return up + "/" + resumedSize + " bytes (" + pct + "%)";
    }
    if (s == null) {
      long size = base == null ? 0 : base.size();
      return size + "/" + size + " bytes (100%)";
    }
    long total = s.size();
    long up = Math.min(total, s.upload().bytesUploaded());
    long pct = total == 0 ? 100 : up * 100 / total;
    return up + "/" + total + " bytes (" + pct + "%)";
  }
}

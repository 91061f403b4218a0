package org.streamfs.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.staging.StagedFile;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.ConflictException;
import org.streamfs.transfer.Namespace;

/**
 * Commits of write sessions and what follows them: a commit hands the staged file to the engine (durably
 * "closed") and keeps it readable until the store holds the object; when the upload finishes, the live
 * file's base becomes the new object, metadata set during the upload is stored, and the attribute cache
 * learns the new version; a failed upload is logged and reported on the file's next flush, fsync or write.
 * Waiters ({@link #settle}) see an upload finished only after all of that ran.
 */
final class Commits {
  private static final Logger LOG = LoggerFactory.getLogger(Commits.class);

  private final Namespace namespace;
  private final Lookup lookup;
  private final Consumer<LiveFile> forget;
  private final OpenFiles files;

  Commits(Namespace namespace, Lookup lookup, Consumer<LiveFile> forget, OpenFiles files) {
    this.namespace = namespace;
    this.lookup = lookup;
    this.forget = forget;
    this.files = files;
  }

  /** Commits any open session of the file and waits for its upload; returns the stored object. */
  ObjectInfo settle(LiveFile f) throws IOException {
    CompletableFuture<ObjectInfo> wait;
    synchronized (f) {
      if (f.staged != null && !f.unlinked) {
        commitLocked(f);
      }
      wait = f.committing;
    }
    if (wait != null) {
      await(wait);
    }
    synchronized (f) {
      if (f.failure != null) {
        throw f.failure;
      }
      return f.base;
    }
  }

  void commitLocked(LiveFile f) throws IOException {
    if (f.writeBack != null) {
      f.writeBack.cancel(false);
      f.writeBack = null;
    }
    f.sealed = false;
    f.sealedOnce = false;
    StagedFile s = f.staged;
    Map<String, String> meta = new HashMap<>(f.meta);
    CompletableFuture<ObjectInfo> done = s.commit(meta);
    f.staged = null;
    f.uploading = s;
    follow(f, s, done);
  }

  /**
   * Takes on an upload the engine resumed after a restart (committed before the crash, no staged file in
   * this process): the file shows as uploading until {@code upload} completes, like a committed one.
   */
  void adoptLocked(LiveFile f, CompletableFuture<ObjectInfo> upload) {
    follow(f, null, upload);
  }

  /** Marks {@code f} committing until {@code upload} is done and {@link #finished} has run. */
  private void follow(LiveFile f, StagedFile s, CompletableFuture<ObjectInfo> upload) {
    // waiters see the upload as finished only once finished() ran (metadata update included)
    CompletableFuture<ObjectInfo> settled = new CompletableFuture<>();
    f.committing = settled;
    upload.whenComplete((info, err) -> {
      try {
        ObjectInfo result = finished(f, s, settled, info, err);
        if (err == null || copied(err) != null) {
          // a conflict whose bytes went to a conflict copy is no failure of fsync: they are in the store
          settled.complete(result);
        } else {
          settled.completeExceptionally(err);
        }
      } catch (RuntimeException | Error e) {
        // waiters must never wait forever: they get the failure instead
        LOG.error("{}: finishing its upload failed", f.key, e);
        synchronized (f) {
          if (f.committing == settled) {
            f.committing = null;
          }
          if (s != null && f.uploading == s) {
            f.uploading = null;
          }
        }
        settled.completeExceptionally(err != null ? err : e);
      }
    });
  }

  private ObjectInfo finished(LiveFile f, StagedFile s, CompletableFuture<ObjectInfo> done, ObjectInfo info,
      Throwable err) {
    synchronized (f) {
      if (err == null) {
        f.base = info;
        f.failure = null;
        if (f.metaAfterCommit && f.committing == done && !f.unlinked) {
          f.metaAfterCommit = false;
          try {
            Map<String, String> merged = new HashMap<>(info.metadata());
            merged.putAll(f.meta);
            f.base = info.key().equals(f.key) ? namespace.updateMetadata(info, merged)
                : namespace.updateMetadata(f.key, merged);
          } catch (IOException e) {
            LOG.warn("{}: attributes set during the upload could not be stored: {}", f.key, e.toString());
          }
        }
        if (!f.unlinked) {
          lookup.remember(f.key, f.base);
        }
        files.uploadSettled(f.key);
      } else if (unwrap(err) instanceof ConflictException c) {
        // another writer replaced the file first: the file now shows the store's version (never a mix);
        // these bytes went to a conflict copy (the file's status says where), or stay staged and fail
        f.base = c.current();
        if (c.current() != null) {
          f.meta = new HashMap<>(c.current().metadata());
          f.meta.keySet().removeIf(k -> k.startsWith("streamfs-"));
        }
        f.metaAfterCommit = false;
        f.conflict = c.getMessage();
        f.failure = c.copy() != null ? null : c;
        if (c.copy() != null) {
          files.uploadSettled(f.key);
        } else if (!f.unlinked) {
          files.uploadFailed(f.key, operationId(s), c.getMessage());
        }
        lookup.invalidate(f.key);
      } else {
        Throwable c = unwrap(err);
        f.failure = c instanceof IOException io ? io : new IOException(c.toString(), c);
        if (c instanceof java.io.InterruptedIOException) {
          // the daemon is stopping: the engine keeps the upload for the next mount, which resumes it
          LOG.info("upload of {} stopped by the shutdown; it resumes at the next mount", f.key);
        } else {
          LOG.error("upload of {} failed, the previous version is kept and the staged bytes are listed by "
              + "'streamfs ops --failed': {}", f.key, c.toString());
          if (!f.unlinked) {
            files.uploadFailed(f.key, operationId(s), c.getMessage() != null ? c.getMessage() : c.toString());
          }
        }
        lookup.invalidate(f.key);
      }
      if (f.committing == done) {
        f.committing = null;
      }
      if (s != null && f.uploading == s) {
        f.uploading = null;
      }
      if (s == null) {
        f.resumedSize = -1;
      }
      try {
        if (s != null) {
          s.close();
        }
      } catch (IOException e) {
        LOG.debug("closing staged file: {}", e.toString());
      }
      forget.accept(f);
      return f.base;
    }
  }

  private static String operationId(StagedFile s) {
    return s == null ? null : s.upload().operationId();
  }

  private static Throwable unwrap(Throwable err) {
    return err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause()
        : err;
  }

  /** The conflict {@code err} is, if its bytes were published as a conflict copy; else null. */
  private static ConflictException copied(Throwable err) {
    return err != null && unwrap(err) instanceof ConflictException c && c.copy() != null ? c : null;
  }

  static <T> T await(CompletableFuture<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for an upload");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new IOException(c.toString(), c);
    }
  }
}

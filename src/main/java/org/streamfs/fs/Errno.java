package org.streamfs.fs;

import java.io.FileNotFoundException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.SagaRollbackRequiredException;
import org.streamfs.model.StreamingException;
import org.streamfs.model.StreamingTimeoutException;
import org.streamfs.store.StoreException;

/**
 * The one place where a failure becomes an errno (Linux numbers, positive). Store failures are mapped by a
 * switch over {@link StoreException.Kind} with no default, so a new kind does not compile until it is
 * mapped; the engine's error vocabulary is mapped type by type; anything else is EIO and is logged with its
 * stack trace, because it is a bug or an unexpected condition that a person must see.
 */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int EBADF = 9;
  public static final int EACCES = 13;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int EXDEV = 18;
  public static final int ENOTDIR = 20;
  public static final int EISDIR = 21;
  public static final int EINVAL = 22;
  public static final int EFBIG = 27;
  public static final int ENOSPC = 28;
  public static final int EROFS = 30;
  public static final int ERANGE = 34;
  public static final int ENAMETOOLONG = 36;
  public static final int ENOSYS = 38;
  public static final int ENOTEMPTY = 39;
  public static final int ENODATA = 61;
  public static final int EILSEQ = 84;
  public static final int ENOTSUP = 95;
  public static final int ETIMEDOUT = 110;
  public static final int ESTALE = 116;

  private static final Logger LOG = LoggerFactory.getLogger(Errno.class);

  private Errno() {}

  /** The errno for a failure of operation {@code op} (used in the log line only). */
  public static int of(String op, Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof FsException fe) {
      return fe.errno();
    }
    if (e instanceof StoreException se) {
      int errno = ofKind(se.kind());
      if (errno == EIO || errno == ESTALE) {
        LOG.warn("{}: store failure: {}", op, se.getMessage());
      }
      return errno;
    }
    if (e instanceof StreamingException st) {
      int errno = ofStreaming(st);
      LOG.warn("{}: {}", op, st.getMessage());
      return errno;
    }
    if (e instanceof NoSuchFileException || e instanceof FileNotFoundException) {
      return ENOENT;
    }
    if (e instanceof FileAlreadyExistsException) {
      return EEXIST;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return ENOTEMPTY;
    }
    if (e instanceof NotDirectoryException) {
      return ENOTDIR;
    }
    if (e instanceof AccessDeniedException) {
      return EACCES;
    }
    if (e instanceof InterruptedIOException || e instanceof InterruptedException) {
      return EINTR;
    }
    if (e instanceof org.streamfs.staging.StagingStalledException) {
      LOG.warn("{}: {}", op, e.getMessage());
      return ENOSPC;
    }
    if (isNoSpace(e)) {
      LOG.warn("{}: local disk full: {}", op, e.getMessage());
      return ENOSPC;
    }
    LOG.error("{}: unexpected failure, answering EIO", op, e);
    return EIO;
  }

  /** Store failure kinds, exhaustively (no default: a new kind must be mapped here). */
  public static int ofKind(StoreException.Kind kind) {
    return switch (kind) {
      case NOT_FOUND -> ENOENT;
      case TRANSIENT -> EIO;
      case CHECKSUM -> EIO;
      case PRECONDITION_FAILED -> ESTALE;
      // a write the store refused because another writer replaced the version it started from
      case CONFLICT -> EIO;
      case ACCESS_DENIED -> EACCES;
      case NO_SPACE -> ENOSPC;
      case INVALID_KEY -> EINVAL;
      case PERMANENT -> EIO;
    };
  }

  private static int ofStreaming(StreamingException e) {
    if (e instanceof StreamingTimeoutException) {
      return ETIMEDOUT;
    }
    if (e instanceof ChecksumMismatchException || e instanceof ChunkMetadataCorruptException
        || e instanceof SagaRollbackRequiredException) {
      return EIO;
    }
    return EIO;
  }

  /** True for the JDK's rendering of ENOSPC (it has no dedicated exception type). */
  public static boolean isNoSpace(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    return false;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof ExecutionException || e instanceof CompletionException
        || e instanceof UncheckedIOException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}

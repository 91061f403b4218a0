package org.streamfs.store.local;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * The one place where the local store turns a Java I/O failure into a {@link StoreException} kind: a full
 * disk ({@code ENOSPC}, quota) is NO_SPACE, a refused permission or read-only file system is ACCESS_DENIED, a
 * missing file NOT_FOUND, an interrupted call (a timeout cancelled it) TRANSIENT, everything else PERMANENT.
 * Messages keep the operating system's reason so that a user sees e.g. "No space left on device".
 */
final class LocalErrors {
  private LocalErrors() {}

  static StoreException map(String key, String what, IOException e) {
    if (e instanceof StoreException se) {
      return se;
    }
    String reason = reason(e);
    String lower = reason.toLowerCase(Locale.ROOT);
    Kind kind;
    if (lower.contains("no space left on device") || lower.contains("disk quota exceeded")) {
      kind = Kind.NO_SPACE;
    } else if (e instanceof AccessDeniedException || lower.contains("read-only file system")
        || lower.contains("permission denied") || lower.contains("operation not permitted")) {
      kind = Kind.ACCESS_DENIED;
    } else if (e instanceof NoSuchFileException) {
      kind = Kind.NOT_FOUND;
    } else if (e instanceof ClosedByInterruptException || e instanceof InterruptedIOException) {
      kind = Kind.TRANSIENT;
    } else if (e instanceof DirectoryNotEmptyException) {
      kind = Kind.PERMANENT;
      reason = "directory is not empty: " + reason;
    } else if (e instanceof NotDirectoryException || lower.contains("not a directory")) {
      kind = Kind.NOT_FOUND;
      reason = "a file is where a directory would be: " + reason;
    } else {
      kind = Kind.PERMANENT;
    }
    return new StoreException(kind, key, what + " failed: " + reason, e);
  }

  private static String reason(IOException e) {
    if (e instanceof FileSystemException fse) {
      String r = fse.getReason();
      String f = fse.getFile();
      if (r == null) {
        r = e.getClass().getSimpleName();
      }
      return f == null ? r : r + " (" + f + ")";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}

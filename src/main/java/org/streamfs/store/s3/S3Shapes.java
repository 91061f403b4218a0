package org.streamfs.store.s3;

import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Keeps "x" and "x/" distinct keys on servers whose storage cannot: S3Proxy's filesystem backend maps both to
 * one path, so a HEAD or DELETE of {@code x/} reaches the file {@code x}, and a HEAD below a file
 * ({@code x/y}) fails with 500. On S3 itself these checks cost nothing: the first only runs when a
 * {@code dir/} answer does not look like a marker, the second only after a 500.
 */
final class S3Shapes {
  private final S3Store store;

  S3Shapes(S3Store store) {
    this.store = store;
  }

  private HeadObjectResponse head(String key) {
    return store.client().headObject(b -> b.bucket(store.bucket()).key(store.full(key)));
  }

  /**
   * The marker object at {@code dirKey} (ending in /), or null if there is none: an answer that is really
   * the object without the slash (same ETag and size, and not typed as a directory) does not count.
   */
  HeadObjectResponse marker(String dirKey) {
    HeadObjectResponse h;
    try {
      h = head(dirKey);
    } catch (SdkException e) {
      if (S3Errors.missingKey(e)) {
        return null;
      }
      throw e;
    }
    if (S3Meta.DIR_CONTENT_TYPE.equals(h.contentType())) {
      return h;
    }
    try {
      HeadObjectResponse plain = head(dirKey.substring(0, dirKey.length() - 1));
      boolean alias = Objects.equals(plain.eTag(), h.eTag()) && Objects.equals(plain.contentLength(),
          h.contentLength());
      return alias ? null : h;
    } catch (SdkException e) {
      return h;
    }
  }

  /** True if some proper ancestor of {@code key} ({@code a} or {@code a/b} for {@code a/b/c}) is a file. */
  boolean underAFile(String key) {
    String body = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    for (int i = body.indexOf('/'); i > 0; i = body.indexOf('/', i + 1)) {
      String ancestor = body.substring(0, i);
      try {
        head(ancestor);
        return true;
      } catch (SdkException e) {
        // not a file (or not reachable): try the next one
      }
    }
    return false;
  }
}

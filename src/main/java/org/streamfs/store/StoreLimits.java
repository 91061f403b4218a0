package org.streamfs.store;

/**
 * What a store accepts: for multipart uploads the minimum size of every part but the last, the maximum part
 * size and the maximum number of parts (the engine raises its chunk size to fit; S3: 5 MiB, 5 GiB, 10,000),
 * and the longest key in UTF-8 bytes (S3 and CouchDB: {@link StoreKeys#MAX_KEY_BYTES}, 1,024; a local
 * directory: longer than PATH_MAX). The mount answers ENAMETOOLONG for a path whose key would be longer.
 */
public record StoreLimits(long minPartSize, long maxPartSize, int maxParts, int maxKeyBytes) {
  public static final StoreLimits UNLIMITED = new StoreLimits(1, Long.MAX_VALUE, Integer.MAX_VALUE);

  /** Part limits with the default key limit of {@link StoreKeys#MAX_KEY_BYTES}. */
  public StoreLimits(long minPartSize, long maxPartSize, int maxParts) {
    this(minPartSize, maxPartSize, maxParts, StoreKeys.MAX_KEY_BYTES);
  }
}

package org.streamfs.store;

/**
 * What a store accepts for multipart uploads: minimum size of every part but the last, maximum part size and
 * the maximum number of parts. The engine raises its chunk size to fit (S3: 5 MiB, 5 GiB, 10,000).
 */
public record StoreLimits(long minPartSize, long maxPartSize, int maxParts) {
  public static final StoreLimits UNLIMITED = new StoreLimits(1, Long.MAX_VALUE, Integer.MAX_VALUE);
}

package org.streamfs.transfer;

import java.time.Duration;

/**
 * The engine's options, named as in the seed: chunk size (0 = choose from the file size by the seed's
 * table), max retries, retry delay, exponential backoff, timeout (per store call), parallel chunks, thread
 * pool size, enable resume, cleanup completed, checkpoint retention days, verify checksums. Immutable; build
 * with {@link #builder()}.
 */
public record StreamingConfig(
    long chunkSizeBytes,
    int maxRetries,
    Duration retryDelay,
    boolean exponentialBackoff,
    Duration maxRetryDelay,
    Duration timeout,
    int parallelChunks,
    int threadPoolSize,
    boolean enableResume,
    boolean cleanupCompleted,
    int checkpointRetentionDays,
    boolean verifyChecksums) {

  public StreamingConfig {
    if (chunkSizeBytes < 0) {
      throw new IllegalArgumentException("chunk size must be >= 0 (0 = automatic), got " + chunkSizeBytes);
    }
    if (maxRetries < 0) {
      throw new IllegalArgumentException("max retries must be >= 0, got " + maxRetries);
    }
    if (parallelChunks < 1) {
      throw new IllegalArgumentException("parallel chunks must be >= 1, got " + parallelChunks);
    }
    if (threadPoolSize < 1) {
      throw new IllegalArgumentException("thread pool size must be >= 1, got " + threadPoolSize);
    }
    if (checkpointRetentionDays < 0) {
      throw new IllegalArgumentException("retention days must be >= 0, got " + checkpointRetentionDays);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().chunkSizeBytes(chunkSizeBytes).maxRetries(maxRetries).retryDelay(retryDelay)
        .exponentialBackoff(exponentialBackoff).maxRetryDelay(maxRetryDelay).timeout(timeout)
        .parallelChunks(parallelChunks).threadPoolSize(threadPoolSize).enableResume(enableResume)
        .cleanupCompleted(cleanupCompleted).checkpointRetentionDays(checkpointRetentionDays)
        .verifyChecksums(verifyChecksums);
  }

  /** Builder with the seed's defaults: automatic chunk size, 3 retries, 5 s delay, backoff, 300 s timeout. */
  public static final class Builder {
    private long chunkSizeBytes = 0;
    private int maxRetries = 3;
    private Duration retryDelay = Duration.ofSeconds(5);
    private boolean exponentialBackoff = true;
    private Duration maxRetryDelay = Duration.ofSeconds(60);
    private Duration timeout = Duration.ofSeconds(300);
    private int parallelChunks = 4;
    private int threadPoolSize = 8;
    private boolean enableResume = true;
    private boolean cleanupCompleted = true;
    private int checkpointRetentionDays = 7;
    private boolean verifyChecksums = true;

    public Builder chunkSizeBytes(long v) { chunkSizeBytes = v; return this; }
    public Builder chunkSizeMb(int mb) { chunkSizeBytes = mb * 1024L * 1024L; return this; }
    public Builder maxRetries(int v) { maxRetries = v; return this; }
    public Builder retryDelay(Duration v) { retryDelay = v; return this; }
    public Builder exponentialBackoff(boolean v) { exponentialBackoff = v; return this; }
    public Builder maxRetryDelay(Duration v) { maxRetryDelay = v; return this; }
    public Builder timeout(Duration v) { timeout = v; return this; }
    public Builder parallelChunks(int v) { parallelChunks = v; return this; }
    public Builder threadPoolSize(int v) { threadPoolSize = v; return this; }
    public Builder enableResume(boolean v) { enableResume = v; return this; }
    public Builder cleanupCompleted(boolean v) { cleanupCompleted = v; return this; }
    public Builder checkpointRetentionDays(int v) { checkpointRetentionDays = v; return this; }
    public Builder verifyChecksums(boolean v) { verifyChecksums = v; return this; }

    public StreamingConfig build() {
      return new StreamingConfig(chunkSizeBytes, maxRetries, retryDelay, exponentialBackoff, maxRetryDelay,
          timeout, parallelChunks, threadPoolSize, enableResume, cleanupCompleted, checkpointRetentionDays,
          verifyChecksums);
    }
  }
}

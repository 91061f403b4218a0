package org.streamfs.model;

/**
 * Bytes did not match their recorded SHA-256: names the object (or operation), the chunk (-1 for the whole
 * file) and both digests. Retryable once for a download (the chunk is fetched again); then reported.
 */
public final class ChecksumMismatchException extends StreamingException {
  private static final long serialVersionUID = 1L;
  private final String object;
  private final int chunkIndex;

  public ChecksumMismatchException(String object, int chunkIndex, String expected, String actual) {
    super("checksum mismatch in " + object + (chunkIndex >= 0 ? " chunk " + chunkIndex : " (whole file)")
        + ": expected sha256 " + expected + ", got " + actual, null);
    this.object = object;
    this.chunkIndex = chunkIndex;
  }

  public String object() {
    return object;
  }

  public int chunkIndex() {
    return chunkIndex;
  }
}

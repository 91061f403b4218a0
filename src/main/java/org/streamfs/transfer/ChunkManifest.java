package org.streamfs.transfer;

import java.util.List;

/**
 * What the engine knows about how an object version was chunked: size, chunk size, per-chunk SHA-256 (hex;
 * empty when the object was written by another tool, then reads are not verified per chunk) and the whole
 * file's SHA-256 (null if unknown). Recorded at upload, looked up by key and version.
 */
public record ChunkManifest(long size, long chunkSize, List<String> chunkSha256, String sha256) {
  public ChunkManifest {
    chunkSha256 = List.copyOf(chunkSha256);
  }

  public boolean verifiable() {
    return !chunkSha256.isEmpty();
  }

  /** Expected SHA-256 of chunk {@code index}, or null when unknown. */
  public String expected(int index) {
    return index < chunkSha256.size() ? chunkSha256.get(index) : null;
  }
}

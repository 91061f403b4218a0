package org.streamfs.transfer.codec;

/**
 * What the index needs to know about one uploaded chunk: its index, the length of the multipart part that
 * carries it (for chunk 0 this includes the 96-byte header; padding included), its plaintext length and
 * its plaintext SHA-256 (hex). All four are things an engine already keeps per chunk (part size from the
 * store's receipt, checksum in the catalog), so a resumed upload can rebuild the index without re-reading
 * any part.
 */
public record FrameInfo(int index, long partLength, int plaintextLength, String sha256Hex) {
  public FrameInfo {
    if (index < 0 || partLength <= 0 || plaintextLength < 0) {
      throw new IllegalArgumentException("bad frame info: index=" + index + " part=" + partLength
          + " plaintext=" + plaintextLength);
    }
    if (sha256Hex == null || sha256Hex.length() != 64) {
      throw new IllegalArgumentException("frame " + index + ": plaintext SHA-256 must be 64 hex digits");
    }
  }
}

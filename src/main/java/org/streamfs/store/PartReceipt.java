package org.streamfs.store;

/**
 * The store's confirmation of one uploaded part: its number (1-based), size, the store's ETag for it, and
 * its SHA-256 (hex) when the store reports one (S3Proxy's ListParts does not: then null).
 */
public record PartReceipt(int partNumber, long size, String etag, String sha256Hex) {}

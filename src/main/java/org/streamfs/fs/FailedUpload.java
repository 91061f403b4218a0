package org.streamfs.fs;

/**
 * A file of the mount whose latest bytes are not in the store: its upload failed (after the engine's
 * retries, or lost a conflict with {@code --on-conflict fail}), the store keeps the previous version, and
 * the bytes are staged under operation {@code operationId} ({@code streamfs ops --failed}, {@code streamfs
 * recover}; null if unknown, as for an upload resumed after a restart). Reported by fsync, {@code streamfs
 * sync} and {@code streamfs umount} until the file is written successfully again, removed, or replaced.
 */
public record FailedUpload(String key, String operationId, String reason) {}

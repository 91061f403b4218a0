package org.streamfs.model;

/**
 * What a {@link StreamingOperation} moves: a local file up to the store ({@link #UPLOAD}), an object down
 * to a local file ({@link #DOWNLOAD}), or a file written through the mount ({@link #MOUNT_WRITE}), whose
 * bytes live in the mount's staging area until the store holds them.
 */
public enum OperationKind {
  UPLOAD,
  DOWNLOAD,
  MOUNT_WRITE
}

/**
 * The bounded on-disk spool of bytes written through the mount.
 *
 * <p>{@code Staging} owns the directory ({@code STATE_DIR/staging}, 0700) and the back-pressure: a write
 * that would take the bytes staged-but-unconfirmed past {@code --max-dirty} waits until uploads confirm
 * enough (never fails for that reason); a writer is let through when no upload is running that could free
 * room, so a random writer larger than the bound cannot dead-lock itself. A real full disk surfaces as
 * ENOSPC to the writer (through {@code fs.Errno}); files already closed are committed in the catalog and
 * keep their spool files, so they are not lost. {@code StagedFile} is one spool file and its chunk
 * bookkeeping (which chunks are authoritative, read-modify-write fills, dirty marks, hand-over of complete
 * chunks to the engine). The engine deletes a spool file once the store holds the object (or keeps it after
 * a rollback for {@code streamfs recover}); the completion listener then releases its accounting here.
 */
package org.streamfs.staging;

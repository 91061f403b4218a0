/**
 * POSIX semantics over the store, without FUSE, so they are tested without a kernel.
 *
 * <p>{@link org.streamfs.fs.StreamFs} is the whole filesystem as plain method calls: paths in, values out,
 * failures as exceptions. {@link org.streamfs.fs.Errno} is the only place where a failure becomes an errno:
 * store failures by an exhaustive switch over {@code StoreException.Kind}, the engine's error vocabulary
 * type by type, our own decisions as {@link org.streamfs.fs.FsException} with the errno inside, anything
 * else EIO with a log line.
 *
 * <p>What a path is: a file being written or still uploading ({@code LiveFile} in {@code OpenFiles}) wins
 * over the store; otherwise {@code Lookup} asks the store (object, then directory marker {@code dir/}, then
 * "implied" directory with keys below it), through a short attribute cache that a directory listing fills
 * for all its entries. Attributes (mode, owner, mtime, atime, ctime, rdev) and xattrs are object metadata
 * ({@link org.streamfs.fs.Meta}); symlinks are small objects whose body is the target, with S_IFLNK in
 * {@code mode} (as s3fs does), and fifos, sockets and device nodes empty objects with their type in
 * {@code mode}. Namespace changes are in {@code Names}; hard links are refused (EPERM).
 *
 * <p>Write path: a create, or the first write/truncate of an open file, opens a staged upload on the engine
 * and a {@code StagedFile} in the staging area. Writes go to the spool file; a chunk that exists in the
 * base version and is only partly overwritten is first filled from the store (read-modify-write), and every
 * chunk the writer moves past is handed to the engine at once. flush (each close()) seals: the engine
 * records the file as closed (crash-safe from then on); the commit follows once the write-back delay has
 * passed with no writer left (a reopen sooner continues the session), and the engine completes the object
 * in the background; chunks never written are copied server-side from the base. fsync, rename, unlink, a
 * sync and a metadata change that cannot wait commit at once and wait for the store. Read path: bytes of a stored version come through the chunk cache
 * ({@code org.streamfs.cache}); bytes of a live file from its spool file where authoritative.
 *
 * <p>Lock order: {@code OpenFiles}' table (a concurrent map, no lock held across calls) → a
 * {@code LiveFile}'s monitor → its {@code StagedFile}'s monitor → the engine's upload. No monitor is held
 * while waiting for an upload to finish (completion callbacks take the LiveFile's monitor). Store calls for
 * the namespace are made without holding any of these monitors, except the metadata update that follows an
 * upload in its completion callback.
 */
package org.streamfs.fs;

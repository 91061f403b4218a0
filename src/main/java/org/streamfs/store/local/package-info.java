/**
 * The local-directory store: the embedded default, no server, and the reference implementation of the
 * {@link org.streamfs.store.ObjectStore} contract.
 *
 * <p><b>Layout.</b> The store is a plain directory. An object {@code docs/report.pdf} is the regular file
 * {@code <root>/docs/report.pdf} holding exactly the object's bytes, so {@code cp}, {@code rsync} or a backup
 * tool can read the store without streamfs, and files they put there are objects too. A directory marker
 * ({@code docs/}) is a real directory; every directory therefore looks like a marker, including the ones that
 * exist only because an object was stored below them (S3 would show those only as common prefixes). Listing
 * with delimiter {@code /} is one directory read (files become objects, sub-directories common prefixes);
 * without a delimiter it is a recursive walk. The hidden directories {@code .streamfs-uploads/} (one
 * sub-directory per multipart upload: {@code upload.json} and {@code part-NNNNN} files),
 * {@code .streamfs-tmp/} (temp files on their way to publication) and {@code .streamfs-links/} (symbolic
 * links by which keys longer than a system call's PATH_MAX are reached; keys may be up to 16 KiB) and
 * {@code .streamfs-manifests/} (one JSON sidecar per object, named by the SHA-256 of its key, holding the
 * manifest of the version it names: {@link org.streamfs.store.StoredManifest}) carry reserved names that no
 * key can take, and are never listed.
 *
 * <p><b>Atomic publication.</b> Every write (put, copy, complete) follows restic's local {@code Save}: write a
 * temp file in {@code .streamfs-tmp/}, fsync it, set its xattrs, rename it onto the key, fsync the directory.
 * A reader therefore sees the previous object or the new one, never a mix or a prefix, and after a crash the
 * key holds one of the two; temp files a crash leaves behind are removed after a day. Parts are published the
 * same way inside their upload's directory, so {@code listParts} (the truth on resume) only lists whole,
 * checksum-verified parts.
 *
 * <p><b>Metadata and versions.</b> User metadata is stored as user extended attributes
 * ({@code user.streamfs.m.<name>}), set on the temp file before the rename. The version is a fingerprint of a
 * random publish id (xattr {@code user.streamfs.id}), size, mtime in nanoseconds and inode, so it changes when
 * the store publishes new bytes and also when another tool rewrites a file in place; changing metadata keeps
 * it. On file systems without user xattrs (old tmpfs, some network file systems) objects still work but
 * storing metadata fails with a clear error.
 *
 * <p><b>Safety.</b> Keys pass {@link org.streamfs.store.StoreKeys#validate} (no {@code ..}, absolute path,
 * NUL, control character or over-long name), and the path they name must resolve inside the root's real path
 * even through symbolic links: a link that leads outside is refused with INVALID_KEY and is not listed, and
 * parent directories are created only after the nearest existing ancestor was checked. Upload ids are checked
 * against their fixed format before they touch a path.
 *
 * <p><b>Errors.</b> {@link org.streamfs.store.local.LocalErrors} maps I/O failures to kinds in one place:
 * ENOSPC and quota to NO_SPACE, EACCES and read-only file systems to ACCESS_DENIED, a missing file to
 * NOT_FOUND, an interrupted call to TRANSIENT, anything else to PERMANENT; messages keep the system's reason.
 * The store never retries: that is {@code store.middleware.RetryingStore}'s job.
 */
package org.streamfs.store.local;

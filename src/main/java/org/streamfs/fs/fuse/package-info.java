/**
 * The jnr-fuse binding, the only package that imports jnr types.
 *
 * <p>{@code StreamFuse} decodes each callback's arguments, calls {@code org.streamfs.fs.StreamFs} and
 * encodes the answer; every callback runs inside {@code FuseCall.run}, which turns any throwable into a
 * negative errno (jffi would otherwise swallow it and return 0, which for read means end of file). {@code
 * FuseMount} owns the mount options ({@code big_writes} always: without it writes arrive 4 KiB at a time;
 * {@code fsname=streamfs,subtype=streamfs}; {@code default_permissions} so the kernel enforces the stored
 * modes; {@code allow_other} only on request), readiness via /proc/self/mountinfo, stale-mount clearing
 * and unmounting. The loop is libfuse2's multi-threaded one: see native-notes/README.md, "thread model".
 */
package org.streamfs.fs.fuse;

/**
 * The FUSE bindings, the only package that touches libfuse (jnr-fuse for libfuse 2, jnr-ffi closures for
 * libfuse 3), and the libc call that sets a thread's niceness ({@code ThreadNice}, which the engine takes
 * as a method reference); jnr-ffi appears elsewhere only for sd_notify's socket (cli.service).
 *
 * <p>{@code StreamFuse3} (libfuse 3, the default where {@code libfuse3.so.3} is installed and the machine
 * is x86_64) and {@code StreamFuse} (jnr-fuse over libfuse 2: {@code -o libfuse2}, and the fallback) decode
 * each callback's arguments, call {@code org.streamfs.fs.StreamFs} and encode the answer; every callback
 * runs inside {@code FuseCall.run}, which turns any throwable into a negative errno (jffi would otherwise
 * swallow it and return 0, which for read means end of file). {@code FuseMount} picks the binding and owns
 * the mount options ({@code fsname=streamfs,subtype=streamfs}; {@code default_permissions} so the kernel
 * enforces the stored modes; {@code big_writes} on libfuse 2, without which writes arrive 4 KiB at a time;
 * {@code allow_other} only on request; streamfs's own {@code noxattr}, {@code libfuse2}, {@code writeback}
 * and {@code upload_nice=N} never reach libfuse), readiness via /proc/self/mountinfo, stale-mount clearing
 * and unmounting. Both run libfuse's multi-threaded loop: see native-notes/README.md, "thread model".
 */
package org.streamfs.fs.fuse;

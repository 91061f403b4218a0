/**
 * Running streamfs as a system service: readiness and stop notifications to systemd, the stop policy on
 * signals, and the installer of the unit, the mount helper and the launcher.
 *
 * <p>The pieces outside Java live in {@code systemd/} at the top of the repository and travel inside the jar:
 * {@code streamfs@.service} (template unit, instance = mount name, reads {@code /etc/streamfs/NAME.conf}),
 * {@code mount.fuse.streamfs} (the mount(8) helper for fstab lines of type {@code fuse.streamfs}),
 * {@code streamfs-launcher} (the installed {@code streamfs} command; finds a Java 17+ with an empty
 * environment) and {@code example.conf}. {@link org.streamfs.cli.service.ServiceInstaller} puts them in place.
 *
 * <p>Readiness is the contract systemd trusts: {@code Type=notify}, and {@code READY=1} is sent by
 * {@link org.streamfs.cli.service.SystemdNotify} only after the mount point answers a stat, so anything ordered
 * after the unit finds a working mount. Java 17 has no unix datagram sockets, hence the few libc calls through
 * jnr-ffi, which the FUSE binding already brings.
 *
 * <p>Why the unit has none of systemd's file-system sandboxing (ProtectSystem, PrivateTmp, ReadWritePaths...):
 * each of them puts the service in its own mount namespace whose mounts never propagate back to the host, so
 * the FUSE mount would be visible to the daemon alone. The unit restricts capabilities, devices, address
 * families and system calls instead; the comments in the unit say which and why.
 */
package org.streamfs.cli.service;

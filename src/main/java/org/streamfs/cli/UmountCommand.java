package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.streamfs.fs.FailedUpload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs umount MOUNTPOINT}: waits (showing progress) until every closed file is in the store,
 * then unmounts and waits for the daemon to exit. {@code --no-wait} unmounts at once; pending uploads
 * resume at the next mount with the same state directory. A file whose latest bytes are not in the store
 * (its upload failed) is named on stderr, as by {@code streamfs sync}; the mount is unmounted all the same
 * (its bytes stay staged for {@code streamfs recover}). Exit codes: 0 unmounted, every closed file in the
 * store; 4 unmounted, but some files' latest bytes are not in the store; 1 failed (busy, no such mount).
 */
@Command(name = "umount", aliases = "unmount", mixinStandardHelpOptions = true,
    description = "Flush pending uploads, then unmount.")
public final class UmountCommand implements Callable<Integer> {
  @Option(names = "--no-wait", description = "unmount now; pending uploads resume at the next mount")
  boolean noWait;
  @Parameters(paramLabel = "MOUNTPOINT", description = "the mount point")
  Path mountpoint;

  @Override
  public Integer call() throws InterruptedException {
    Path mnt = mountpoint.toAbsolutePath().normalize();
    Optional<Path> state = MountRegistry.find(mnt);
    Optional<Long> pid = MountRegistry.pidOf(mnt);
    List<FailedUpload> failed = List.of();
    if (state.isPresent() && !noWait) {
      try {
        failed = SyncCommand.barrier(state.get(), "streamfs umount");
        SyncCommand.report(mnt, failed, "streamfs umount");
      } catch (IOException e) {
        System.err.println("streamfs umount: the daemon does not answer (" + e.getMessage()
            + "); unmounting anyway");
      }
    }
    if (org.streamfs.fs.fuse.FuseMount.mountType(mnt) == null) {
      System.err.println("streamfs umount: nothing is mounted on " + mnt);
      return 1;
    }
    if (run("fusermount3", "-u", mnt.toString()) != 0 && run("fusermount", "-u", mnt.toString()) != 0
        && run("umount", mnt.toString()) != 0) {
      System.err.println("streamfs umount: " + mnt + " is busy (a process has a file or directory open there)");
      return 1;
    }
    if (pid.isPresent()) {
      Optional<ProcessHandle> h = ProcessHandle.of(pid.get());
      if (h.isPresent()) {
        try {
          h.get().onExit().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          System.err.println("streamfs umount: the daemon (pid " + pid.get() + ") has not exited yet");
        }
      }
    }
    if (!failed.isEmpty()) {
      // unmounted all the same: the staged bytes stay in the state dir for 'streamfs recover'
      System.err.println("streamfs umount: unmounted " + mnt + ", but " + failed.size()
          + (failed.size() == 1 ? " file's" : " files'") + " latest bytes are not in the store (above)");
      return ExitCodes.TRANSFER_FAILED;
    }
    return 0;
  }

  private static int run(String... cmd) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    }
  }
}

package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs sync MOUNTPOINT}: the barrier. Returns once every file closed in the mount is in the
 * store, printing the pending uploads while it waits. Exit codes: 0 done, 1 no daemon answers.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
    description = "Wait until every file closed in the mount is safely in the store.")
public final class SyncCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MOUNTPOINT", description = "the mount point")
  Path mountpoint;

  @Override
  public Integer call() {
    Path mnt = mountpoint.toAbsolutePath().normalize();
    Optional<Path> state = MountRegistry.find(mnt);
    if (state.isEmpty()) {
      System.err.println("streamfs sync: no streamfs daemon is known for " + mnt);
      return 1;
    }
    try {
      barrier(state.get(), "streamfs sync");
      return 0;
    } catch (IOException e) {
      System.err.println("streamfs sync: the daemon of " + mnt + " does not answer: " + e.getMessage());
      return 1;
    }
  }

  /** Runs the sync barrier against a daemon, showing progress on stderr when it has to wait. */
  static void barrier(Path stateDir, String who) throws IOException {
    boolean[] waited = {false};
    boolean terminal = System.console() != null;
    ControlChannel.call(stateDir, "sync", line -> {
      if (line.startsWith("pending ")) {
        waited[0] = true;
        String text = who + ": waiting for uploads: " + line.substring(8);
        if (terminal) {
          System.err.print("\r" + text); // one line redrawn in place on a terminal
        } else {
          System.err.println(text); // plain lines for logs and pipes
        }
      }
    });
    if (waited[0] && terminal) {
      System.err.println();
    }
  }
}

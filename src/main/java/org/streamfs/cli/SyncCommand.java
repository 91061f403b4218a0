package org.streamfs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.streamfs.fs.FailedUpload;
import org.streamfs.fs.NameBytes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs sync MOUNTPOINT}: the barrier. Returns once every file closed in the mount has ended its
 * upload, printing the pending uploads while it waits, then names each file whose latest bytes are not in
 * the store (its upload failed: the store keeps the previous version, the bytes stay staged for
 * {@code streamfs recover}). Exit codes: 0 every closed file is in the store, 4 some are not (named on
 * stderr), 1 no daemon answers.
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
      List<FailedUpload> failed = barrier(state.get(), "streamfs sync");
      report(mnt, failed, "streamfs sync");
      return failed.isEmpty() ? ExitCodes.OK : ExitCodes.TRANSFER_FAILED;
    } catch (IOException e) {
      System.err.println("streamfs sync: the daemon of " + mnt + " does not answer: " + e.getMessage());
      return 1;
    }
  }

  /**
   * Runs the sync barrier against a daemon, showing progress on stderr when it has to wait; returns the
   * files whose latest bytes are not in the store.
   */
  static List<FailedUpload> barrier(Path stateDir, String who) throws IOException {
    boolean[] waited = {false};
    boolean terminal = System.console() != null;
    List<FailedUpload> failed = new ArrayList<>();
    ControlChannel.call(stateDir, "sync", line -> {
      FailedUpload f = ControlChannel.parseFailed(line);
      if (f != null) {
        failed.add(f);
      } else if (line.startsWith("pending ")) {
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
    return failed;
  }

  /**
   * One stderr line per file whose latest bytes are not in the store: its path in the mount (the name's
   * own bytes), why, and how to get the bytes back.
   */
  static void report(Path mnt, List<FailedUpload> failed, String who) {
    for (FailedUpload f : failed) {
      String recover = f.operationId() == null ? "see 'streamfs ops --failed' and 'streamfs recover'"
          : "its bytes are kept: streamfs recover " + f.operationId() + " DEST";
      byte[] head = (who + ": ").getBytes(StandardCharsets.UTF_8);
      byte[] name = NameBytes.toBytes(mnt + "/" + f.key());
      byte[] tail = (": NOT in the store, its upload failed (" + f.reason() + "); the store keeps the"
          + " previous version; " + recover + "\n").getBytes(StandardCharsets.UTF_8);
      System.err.write(head, 0, head.length);
      System.err.write(name, 0, name.length);
      System.err.write(tail, 0, tail.length);
    }
    if (!failed.isEmpty()) {
      System.err.println(who + ": " + failed.size() + (failed.size() == 1 ? " file is" : " files are")
          + " not safely in the store");
    }
    System.err.flush();
  }
}

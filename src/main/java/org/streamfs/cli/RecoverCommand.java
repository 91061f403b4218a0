package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.ObjectStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;
import org.streamfs.transfer.codec.CodecOptions;
import org.streamfs.transfer.codec.SealingStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs recover OP DEST}: writes the bytes of a rolled-back mount write (a file that was open when
 * the daemon died, or whose upload failed) to DEST: the base version overlaid with the staged chunks. The
 * state directory comes from {@code --state-dir} or {@code --mount}; the store from {@code --store} or the
 * {@code store} line the daemon recorded in {@code STATE_DIR/mount.store}. Exit codes: 0 written, 1 failed.
 */
@Command(name = "recover", mixinStandardHelpOptions = true,
    description = "Write the staged bytes of a rolled-back mount write to a local file.")
public final class RecoverCommand implements Callable<Integer> {
  @Option(names = "--mount", description = "mount point whose daemon's state dir to use")
  Path mount;
  @Option(names = "--state-dir", description = "state directory of the mount")
  Path stateDir;
  @Option(names = "--store", description = "store URI (default: the one the mount used)")
  String store;
  @Option(names = "--encrypt-key-file", description = "key file of an encrypted mount (to read its base"
      + " versions)")
  Path encryptKeyFile;
  @Parameters(index = "0", paramLabel = "OP", description = "operation id (see 'streamfs ops --failed')")
  String operationId;
  @Parameters(index = "1", paramLabel = "DEST", description = "file to write")
  Path dest;

  @Override
  public Integer call() {
    Optional<Path> state = Optional.ofNullable(stateDir);
    if (state.isEmpty() && mount != null) {
      state = MountRegistry.find(mount.toAbsolutePath().normalize());
    }
    if (state.isEmpty()) {
      System.err.println("streamfs recover: give --state-dir DIR or --mount MOUNTPOINT");
      return 1;
    }
    try {
      String uri = store != null ? store : Files.readString(state.get().resolve("mount.store")).strip();
      try (ObjectStore s = new SealingStore(StoreOpener.open(uri, 0),
          CodecOptions.fromCli(0, null, encryptKeyFile));
          Catalog c = Catalog.open(state.get().resolve("catalog"));
          StreamingManager m = new StreamingManager(s, c, StreamingConfig.builder().build())) {
        m.recoverStaged(operationId, dest);
      }
      System.out.println("streamfs: recovered " + operationId + " to " + dest);
      return 0;
    } catch (IOException e) {
      System.err.println("streamfs recover: " + e.getMessage());
      return 1;
    }
  }
}

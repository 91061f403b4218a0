package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.SagaRollbackRequiredException;
import org.streamfs.model.StreamingTimeoutException;
import org.streamfs.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code streamfs} command: the composition root that wires stores, catalog, engine and mount. Every
 * failure ends as one line on stderr ({@code streamfs: <reason>}) and a distinct exit code
 * ({@link ExitCodes}); the stack trace goes to the log only.
 */
@Command(name = "streamfs", mixinStandardHelpOptions = true, version = "streamfs 0.1.0",
    description = "Move very large files between this machine and a remote store in checksummed,"
        + " resumable chunks; mount the store as a filesystem.",
    subcommands = {
        PutCommand.class, GetCommand.class, OpsCommand.class, CancelCommand.class, ResumeCommand.class,
        VerifyCommand.class, ScrubCommand.class, CleanupCommand.class, MountCommand.class, UmountCommand.class, SyncCommand.class,
        RecoverCommand.class, EmbeddingsCommand.class,
        org.streamfs.cli.service.InstallServiceCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see --help)");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns the exit code (used by tests too). */
  public static int execute(String... args) {
    org.streamfs.store.local.Holes.use(org.streamfs.fs.fuse.SeekData::firstData);
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      LOG.debug("command failed", ex);
      cmd.getErr().println("streamfs: " + oneLine(ex));
      cmd.getErr().flush();
      return exitCode(ex);
    });
    return cl.execute(args);
  }

  static String oneLine(Throwable ex) {
    String msg = ex.getMessage();
    if (ex instanceof NoSuchFileException nf) {
      msg = nf.getFile() + (nf.getReason() != null ? ": " + nf.getReason() : ": no such file");
    } else if (ex instanceof java.nio.file.AccessDeniedException ad) {
      msg = ad.getFile() + ": permission denied";
    }
    if (msg == null || msg.isBlank()) {
      msg = ex.getClass().getSimpleName();
    }
    return msg.replace('\n', ' ');
  }

  static int exitCode(Throwable ex) {
    if (ex instanceof CommandLine.ParameterException || ex instanceof IllegalArgumentException) {
      return ExitCodes.USAGE;
    }
    if (ex instanceof ChecksumMismatchException) {
      return ExitCodes.CHECKSUM;
    }
    if (ex instanceof NoSuchFileException || ex instanceof java.io.FileNotFoundException) {
      return ExitCodes.NOT_FOUND;
    }
    if (ex instanceof StoreException se) {
      return switch (se.kind()) {
        case NOT_FOUND -> ExitCodes.NOT_FOUND;
        case ACCESS_DENIED, TRANSIENT -> ExitCodes.STORE;
        case INVALID_KEY -> ExitCodes.USAGE;
        case CHECKSUM -> ExitCodes.CHECKSUM;
        case PRECONDITION_FAILED, CONFLICT, NO_SPACE, PERMANENT -> ExitCodes.TRANSFER_FAILED;
      };
    }
    if (ex instanceof SagaRollbackRequiredException || ex instanceof StreamingTimeoutException
        || ex instanceof ChunkMetadataCorruptException || ex instanceof IOException) {
      return ExitCodes.TRANSFER_FAILED;
    }
    return ExitCodes.INTERNAL;
  }
}

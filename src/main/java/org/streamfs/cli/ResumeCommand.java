package org.streamfs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs resume OP}: continues an interrupted upload or download from its last checkpoint (the store
 * says which parts it holds); {@code --restart} rolls back and sends everything again.
 */
@Command(name = "resume", description = "Resume an interrupted put/get from its last checkpoint.")
final class ResumeCommand implements Callable<Integer> {
  @Mixin
  EngineOptions engine;

  @Parameters(index = "0", paramLabel = "OP")
  String operation;

  @Option(names = "--restart", description = "Discard what was sent and start the upload again.")
  boolean restart;

  @Option(names = "--json", description = "Progress as JSON lines.")
  boolean json;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    try (EngineOptions.Engine e = engine.open(); Progress p = new Progress("resume", json, quiet)) {
      if (restart) {
        e.manager().restartUpload(operation, p);
      } else {
        e.manager().resume(operation, p);
      }
      p.close();
      var op = e.manager().getOperation(operation);
      System.out.println(operation + ": " + op.status().value() + " " + op.key());
    }
    return ExitCodes.OK;
  }
}

package org.streamfs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamfs cancel OP [--cleanup]}: cancels; with --cleanup rolls back what the store holds. */
@Command(name = "cancel", description = "Cancel an operation; --cleanup deletes its uploaded parts or partial file.")
final class CancelCommand implements Callable<Integer> {
  @Mixin
  EngineOptions engine;

  @Parameters(index = "0", paramLabel = "OP")
  String operation;

  @Option(names = "--cleanup", description = "Delete uploaded parts / the partial download (saga rollback).")
  boolean cleanup;

  @Override
  public Integer call() throws Exception {
    try (EngineOptions.Engine e = engine.open()) {
      boolean changed = e.manager().cancelOperation(operation, cleanup);
      var op = e.manager().getOperation(operation);
      System.out.println(operation + ": " + op.status().value() + (changed ? "" : " (had already ended)")
          + (op.error() != null ? " - " + op.error() : ""));
    }
    return ExitCodes.OK;
  }
}

package org.streamfs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfs cleanup}: removes ended operations older than the retention period. */
@Command(name = "cleanup", description = "Remove ended operations (and kept staged bytes) older than N days.")
final class CleanupCommand implements Callable<Integer> {
  @Mixin
  EngineOptions engine;

  @Option(names = "--retention-days", paramLabel = "N", defaultValue = "7",
      description = "Keep ended operations this many days (default: 7; 0 removes all ended ones).")
  int days;

  @Override
  public Integer call() throws Exception {
    if (days < 0) {
      throw new IllegalArgumentException("--retention-days must be >= 0, got " + days);
    }
    try (EngineOptions.Engine e = engine.open()) {
      int n = e.manager().cleanupOldOperations(days);
      System.out.println("removed " + n + " operation(s) older than " + days + " day(s)");
    }
    return ExitCodes.OK;
  }
}

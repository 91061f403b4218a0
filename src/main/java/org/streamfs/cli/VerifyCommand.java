package org.streamfs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code streamfs verify OP}: re-reads an upload from the store and checks every chunk and the whole file. */
@Command(name = "verify", description = "Re-read a completed upload and check every chunk's SHA-256.")
final class VerifyCommand implements Callable<Integer> {
  @Mixin
  EngineOptions engine;

  @Parameters(index = "0", paramLabel = "OP")
  String operation;

  @Override
  public Integer call() throws Exception {
    try (EngineOptions.Engine e = engine.open()) {
      e.manager().verifyUpload(operation);
      var op = e.manager().getOperation(operation);
      System.out.println(operation + ": ok " + op.key() + " sha256 " + op.checksum());
    }
    return ExitCodes.OK;
  }
}

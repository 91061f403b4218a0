package org.streamfs.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamfs get KEY FILE}: downloads an object through ranged, verified chunk reads. */
@Command(name = "get", description = "Download KEY into FILE (or into the directory FILE).")
final class GetCommand implements Callable<Integer> {
  @Mixin
  EngineOptions engine;

  @Parameters(index = "0", paramLabel = "KEY")
  String key;

  @Parameters(index = "1", paramLabel = "FILE")
  Path file;

  @Option(names = "--json", description = "Progress and result as JSON lines.")
  boolean json;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    try (EngineOptions.Engine e = engine.open(); Progress p = new Progress("get", json, quiet)) {
      String id = e.manager().prepareDownload(CliKeys.of(key), file);
      System.out.println(json ? "{\"operation\":\"" + id + "\"}" : id);
      System.out.flush();
      e.manager().resumeDownload(id, p);
      p.close();
      if (!quiet && !json) {
        var op = e.manager().getOperation(id);
        System.err.println("get " + id + ": " + op.fileName() + " complete, " + op.totalSizeBytes()
            + " bytes, sha256 " + op.checksum());
      }
    }
    return ExitCodes.OK;
  }
}

package org.streamfs.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamfs put FILE KEY}: uploads a file in checksummed chunks; prints the operation id first. */
@Command(name = "put", description = "Upload FILE to KEY (a key ending in / gets the file name appended).")
final class PutCommand implements Callable<Integer> {
  @Mixin
  EngineOptions engine;

  @Parameters(index = "0", paramLabel = "FILE")
  Path file;

  @Parameters(index = "1", paramLabel = "KEY", defaultValue = "")
  String key;

  @Option(names = "--meta", paramLabel = "NAME=VALUE", description = "User metadata (repeatable).")
  Map<String, String> meta = new LinkedHashMap<>();

  @Option(names = "--json", description = "Progress and result as JSON lines.")
  boolean json;

  @Option(names = {"-q", "--quiet"}, description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    try (EngineOptions.Engine e = engine.open(); Progress p = new Progress("put", json, quiet)) {
      String id = e.manager().prepareUpload(file, CliKeys.of(key), meta);
      System.out.println(json ? "{\"operation\":\"" + id + "\"}" : id);
      System.out.flush();
      e.manager().resumeUpload(id, p);
      p.close();
      if (!quiet && !json) {
        var op = e.manager().getOperation(id);
        System.err.println("put " + id + ": " + op.key() + " complete, " + op.totalSizeBytes() + " bytes, sha256 "
            + op.checksum());
      }
    }
    return ExitCodes.OK;
  }
}

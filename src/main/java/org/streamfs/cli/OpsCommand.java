package org.streamfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfs ops}: lists operations from the catalog with progress (chunks, bytes, rate, ETA). Reads
 * only the catalog, so it works while a transfer or a mount runs in another process. Corrupt records are
 * listed with their error, not hidden.
 */
@Command(name = "ops", description = "List transfers: active by default, --all or --failed.")
final class OpsCommand implements Callable<Integer> {
  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:STREAMFS_STATE_DIR}",
      description = "Catalog location (default: $XDG_STATE_HOME/streamfs/state, or the old"
          + " $XDG_CACHE_HOME/streamfs/state while only that exists).")
  Path stateDir;

  @Option(names = "--mount", paramLabel = "MOUNTPOINT", description = "The operations of this mount.")
  Path mount;

  @Option(names = "--all", description = "Every operation, ended ones too.")
  boolean all;

  @Option(names = "--failed", description = "Failed and cancelled operations (rolled back; staged bytes kept).")
  boolean failed;

  @Option(names = "--json", description = "JSON output.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    EngineOptions paths = new EngineOptions();
    paths.stateDir = mount != null ? MountRegistry.stateDirOf(mount) : stateDir;
    try (Catalog catalog = Catalog.open(paths.stateDir().resolve("catalog"))) {
      Catalog.Operations ops = catalog.listOperations();
      List<StreamingOperation> shown = ops.operations().stream()
          .filter(o -> all || (failed ? o.status() == OperationStatus.FAILED
              || o.status() == OperationStatus.CANCELLED : o.status().isActive()))
          .sorted((a, b) -> a.createdAt().compareTo(b.createdAt())).toList();
      if (json) {
        printJson(shown, ops.corrupt());
      } else {
        printTable(shown, ops.corrupt());
      }
    }
    return ExitCodes.OK;
  }

  static long rate(StreamingOperation op) {
    double secs = Duration.between(op.createdAt(), op.status().isActive() ? Instant.now() : op.updatedAt())
        .toMillis() / 1000.0;
    return secs <= 0 ? 0 : (long) (op.bytesCompleted() / secs);
  }

  static String eta(StreamingOperation op) {
    long r = rate(op);
    if (!op.status().isActive()) {
      return "-";
    }
    return r <= 0 ? "?" : (op.totalSizeBytes() - op.bytesCompleted()) / r + "s";
  }

  private void printTable(List<StreamingOperation> shown, List<ChunkMetadataCorruptException> corrupt) {
    System.out.printf(Locale.ROOT, "%-16s %-11s %-11s %7s %11s %19s %10s %6s  %s%n", "OPERATION", "KIND",
        "STATUS", "PCT", "CHUNKS", "BYTES", "RATE", "ETA", "KEY / ERROR");
    for (StreamingOperation o : shown) {
      System.out.printf(Locale.ROOT, "%-16s %-11s %-11s %6.1f%% %11s %19s %8s/s %6s  %s%s%n", o.operationId(),
          o.kind().name().toLowerCase(Locale.ROOT), o.status().value(), o.progressPercent(),
          o.chunksCompleted() + "/" + o.chunksTotal(),
          Progress.human(o.bytesCompleted()) + "/" + Progress.human(o.totalSizeBytes()),
          Progress.human(rate(o)), eta(o), o.key(), o.error() == null ? "" : "  (" + o.error() + ")");
    }
    for (ChunkMetadataCorruptException c : corrupt) {
      System.out.printf("%-16s %-11s %-11s  %s%n", c.operationId(), "?", "corrupt", c.getMessage());
    }
    if (shown.isEmpty() && corrupt.isEmpty()) {
      System.out.println("(no " + (all ? "" : failed ? "failed " : "active ") + "operations)");
    }
  }

  private void printJson(List<StreamingOperation> shown, List<ChunkMetadataCorruptException> corrupt) {
    ObjectMapper m = new ObjectMapper();
    ArrayNode arr = m.createArrayNode();
    for (StreamingOperation o : shown) {
      ObjectNode n = arr.addObject();
      n.put("operation_id", o.operationId());
      n.put("kind", o.kind().name().toLowerCase(Locale.ROOT));
      n.put("status", o.status().value());
      n.put("file_name", o.fileName());
      n.put("key", o.key());
      n.put("total_size_bytes", o.totalSizeBytes());
      n.put("chunk_size_bytes", o.chunkSizeBytes());
      n.put("chunks_total", o.chunksTotal());
      n.put("chunks_completed", o.chunksCompleted());
      n.put("progress_percent", o.progressPercent());
      n.put("bytes_completed", o.bytesCompleted());
      n.put("rate_bytes_per_s", rate(o));
      n.put("created_at", o.createdAt().toString());
      n.put("updated_at", o.updatedAt().toString());
      n.put("checksum", o.checksum());
      n.put("error", o.error());
      n.put("retry_count", o.retryCount());
    }
    for (ChunkMetadataCorruptException c : corrupt) {
      ObjectNode n = arr.addObject();
      n.put("operation_id", c.operationId());
      n.put("status", "corrupt");
      n.put("error", c.getMessage());
    }
    System.out.println(arr.toPrettyString());
  }
}

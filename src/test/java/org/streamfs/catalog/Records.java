package org.streamfs.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;

/** Sample records for the catalog tests (also used by the child process of the cross-process test). */
final class Records {
  private Records() {}

  static StreamingOperation operation(String id, int chunksTotal) {
    Instant created = Instant.parse("2026-11-28T10:15:30.123456789Z");
    return new StreamingOperation(id, OperationKind.UPLOAD, "big file ü.bin", "backups/" + id + ".bin",
        chunksTotal * 1024L - 7, 1024L, chunksTotal, 0, OperationStatus.IN_PROGRESS, created,
        created.plusSeconds(5), null, Map.of("mtime", "1764324930.5", "mode", "33188"), "upload-" + id,
        null, 0);
  }

  static List<ChunkMetadata> pendingChunks(StreamingOperation op) {
    List<ChunkMetadata> out = new ArrayList<>();
    for (int i = 0; i < op.chunksTotal(); i++) {
      long offset = i * op.chunkSizeBytes();
      out.add(ChunkMetadata.pending(i, offset, Math.min(op.chunkSizeBytes(), op.totalSizeBytes() - offset)));
    }
    return out;
  }

  static String sha(int i) {
    return String.format("%064x", i);
  }
}

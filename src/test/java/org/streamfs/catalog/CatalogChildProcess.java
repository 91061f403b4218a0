package org.streamfs.catalog;

import java.nio.file.Path;
import java.util.List;
import org.streamfs.model.ChunkMetadata;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;

/**
 * The other process of {@link CatalogCrossProcessTest}, run in a child JVM: {@code write DIR ID COUNT}
 * checkpoints COUNT chunks of a new operation one commit at a time; {@code read DIR ID COUNT} polls an
 * operation another process is checkpointing and fails (exit 1) if progress ever goes backwards or a chunk
 * count disagrees with the operation record, exiting 0 once it has seen COUNT confirmed chunks;
 * {@code fill DIR TABLE COUNT} writes COUNT values of 64 KiB into a table.
 */
public final class CatalogChildProcess {
  private CatalogChildProcess() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    String id = args[2];
    int count = Integer.parseInt(args[3]);
    try (Catalog catalog = Catalog.open(dir)) {
      System.out.println("open");
      System.out.flush();
      if (args[0].equals("write")) {
        write(catalog, id, count);
      } else if (args[0].equals("fill")) {
        fill(catalog.table(id), count);
      } else {
        System.exit(read(catalog, id, count));
      }
    }
  }

  static void write(Catalog catalog, String id, int count) throws InterruptedException {
    StreamingOperation op = Records.operation(id, count);
    List<ChunkMetadata> chunks = Records.pendingChunks(op);
    catalog.putOperationWithChunks(op, chunks);
    for (int i = 0; i < count; i++) {
      op = op.withChunksCompleted(i + 1);
      catalog.checkpoint(op, chunks.get(i).confirmed(Records.sha(i), "etag-" + i));
      Thread.sleep(5);
    }
    catalog.putOperation(op.withStatus(OperationStatus.COMPLETED));
  }

  /** Puts COUNT values of 64 KiB into a table (to grow the data past another process's map size). */
  static void fill(KvTable table, int count) {
    byte[] value = new byte[64 * 1024];
    for (int i = 0; i < count; i++) {
      value[0] = (byte) i;
      table.put(new byte[] {(byte) (i >> 8), (byte) i}, value);
    }
  }

  static void writeQuietly(Catalog catalog, String id, int count) {
    try {
      write(catalog, id, count);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Returns 0 when the whole run was seen consistently, 1 otherwise (with the reason on stderr). */
  static int read(Catalog catalog, String id, int count) throws Exception {
    int last = -1;
    int distinct = 0;
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      StreamingOperation op = catalog.getOperation(id).orElse(null);
      if (op != null) {
        long confirmed = catalog.chunks(id).stream().filter(ChunkMetadata::uploaded).count();
        if (op.chunksCompleted() < last || confirmed < op.chunksCompleted()) {
          System.err.println("inconsistent: completed " + op.chunksCompleted() + " after " + last
              + ", confirmed chunks " + confirmed);
          return 1;
        }
        if (op.chunksCompleted() != last) {
          distinct++;
          last = op.chunksCompleted();
        }
        if (op.status() == OperationStatus.COMPLETED && last == count) {
          System.out.println("distinct " + distinct);
          return 0;
        }
      }
      Thread.sleep(3);
    }
    System.err.println("timed out at " + last + " of " + count);
    return 1;
  }
}

package org.streamfs.transfer.embeddings;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child-JVM main: generates {@code rows} x {@code dim} rows on the fly and writes them as a .npy file through
 * {@link NpyAppender} with chunk reports, printing the peak heap used, so a test can show that a matrix
 * many times the heap streams through.
 */
public final class BigMatrixWriter {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    long rows = Long.parseLong(args[1]);
    int dim = Integer.parseInt(args[2]);
    long chunk = Long.parseLong(args[3]);
    AtomicInteger chunks = new AtomicInteger();
    try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      NpyAppender w = new NpyAppender(ch, dim, NpyHeader.FIXED_LENGTH, 0, chunk,
          i -> chunks.incrementAndGet(), false, "generated");
      try (EmbeddingSource src = Rows.source(rows, dim)) {
        for (float[] v = src.next(); v != null; v = src.next()) {
          w.append(v);
        }
      }
      long size = w.finish();
      Runtime rt = Runtime.getRuntime();
      System.out.println("size=" + size + " chunks=" + chunks.get() + " maxHeap=" + rt.maxMemory());
    }
  }
}

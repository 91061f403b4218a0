package org.streamfs.transfer.embeddings;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;

/**
 * Child-process main for the crash and memory tests: uploads {@code rows} generated rows of dimension
 * {@code dim} as collection {@code name} through the real engine in {@code root} (LocalStore + LMDB),
 * printing {@code ROWS n} as it generates, {@code COMMITTED} once the upload is durably closed and
 * {@code DONE <sha256>} when the store holds it. Arguments: root chunkSize rows dim partDelayMillis name.
 */
public final class UploadChild {
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    long chunk = Long.parseLong(args[1]);
    long rows = Long.parseLong(args[2]);
    int dim = Integer.parseInt(args[3]);
    long delay = Long.parseLong(args[4]);
    String name = args[5];
    try (EngineFixture fx = new EngineFixture(root, chunk)) {
      fx.store.partDelayMillis = delay;
      Iterator<float[]> gen = Rows.iterator(rows, dim);
      Iterator<float[]> reporting = new Iterator<>() {
        long n;

        @Override
        public boolean hasNext() {
          return gen.hasNext();
        }

        @Override
        public float[] next() {
          if (++n % 1000 == 0) {
            System.out.println("ROWS " + n);
            System.out.flush();
          }
          return gen.next();
        }
      };
      CompletableFuture<EmbeddingInfo> f = fx.embeddings.startUpload(EmbeddingSource.of(dim, reporting), name,
          EmbeddingOptions.DEFAULTS);
      System.out.println("COMMITTED");
      System.out.flush();
      EmbeddingInfo info = f.get();
      System.out.println("DONE " + info.sha256() + " parts=" + fx.store.totalPartsSent() + " maxHeap="
          + Runtime.getRuntime().maxMemory());
      System.out.flush();
    }
  }
}

package org.streamfs.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.embeddings.EmbeddingFormatException;
import org.streamfs.transfer.embeddings.EmbeddingInfo;
import org.streamfs.transfer.embeddings.EmbeddingOptions;
import org.streamfs.transfer.embeddings.EmbeddingSource;
import org.streamfs.transfer.embeddings.EmbeddingSources;
import org.streamfs.transfer.embeddings.EmbeddingStore;
import org.streamfs.transfer.embeddings.RowOutput;
import org.streamfs.transfer.embeddings.RowReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streamfs embeddings put|get|info|list}: embedding collections stored as NumPy {@code .npy} objects
 * (see {@link EmbeddingStore}). Bad input data (a length not a multiple of dim*4, NaN, a dimension
 * mismatch) is reported as a usage error (exit 2) after the upload was rolled back. An upload killed
 * before it read all its rows is rolled back, one killed after is completed, by {@code embeddings resume}.
 */
@Command(name = "embeddings", description = "Embedding collections: float32 matrices stored as .npy objects"
    + " under embeddings/, uploaded while read, read back by row range.",
    subcommands = {EmbeddingsCommand.Put.class, EmbeddingsCommand.Get.class, EmbeddingsCommand.Info.class,
        EmbeddingsCommand.ListCollections.class, EmbeddingsCommand.Resume.class, EmbeddingsCommand.Bench.class})
final class EmbeddingsCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: put, get, info,"
        + " list, resume or bench");
  }

  /** Options shared by the subcommands. */
  static final class Common {
    @Mixin
    EngineOptions engine;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Store key prefix of collections"
        + " (default: embeddings/).", defaultValue = EmbeddingOptions.DEFAULT_PREFIX)
    String prefix;

    @Option(names = "--json", description = "Result as one JSON object.")
    boolean json;

    EmbeddingOptions options() {
      return EmbeddingOptions.DEFAULTS.withKeyPrefix(prefix);
    }
  }

  static String json(EmbeddingInfo i) {
    return "{\"collection\":" + quote(i.collection()) + ",\"key\":" + quote(i.key()) + ",\"rows\":" + i.rows()
        + ",\"dim\":" + i.dim() + ",\"size\":" + i.size() + ",\"sha256\":"
        + (i.sha256() == null ? "null" : quote(i.sha256())) + ",\"chunk_size\":" + i.chunkSize()
        + ",\"version\":" + quote(i.version()) + ",\"header_length\":" + i.headerLength() + "}";
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** Bad input data is the caller's to fix: exit 2 with the reason. */
  static CommandLine.ParameterException badInput(CommandLine cl, EmbeddingFormatException e) {
    CommandLine.ParameterException pe = new CommandLine.ParameterException(cl, e.getMessage());
    pe.initCause(e);
    return pe;
  }

  @Command(name = "put", description = "Upload INPUT (raw float32 little-endian, a .npy file, or - for raw"
      + " float32 on standard input) as COLLECTION; rows are uploaded while they are read.")
  static final class Put implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    Common common;

    @Option(names = "--dim", paramLabel = "D", description = "Vector dimension (required for raw input; must"
        + " match the header of a .npy).")
    Integer dim;

    @Option(names = "--allow-nonfinite", description = "Accept NaN and infinite values (refused by default).")
    boolean allowNonFinite;

    @Option(names = "--append", description = "Append the rows to an existing collection (same dimension).")
    boolean append;

    @Option(names = "--meta", paramLabel = "NAME=VALUE", description = "User metadata (repeatable).")
    Map<String, String> meta = new LinkedHashMap<>();

    @Option(names = {"-q", "--quiet"}, description = "No summary on stderr.")
    boolean quiet;

    @Parameters(index = "0", paramLabel = "INPUT")
    String input;

    @Parameters(index = "1", paramLabel = "COLLECTION")
    String collection;

    @Override
    public Integer call() throws Exception {
      if (dim != null && dim <= 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--dim must be positive, got " + dim);
      }
      EmbeddingOptions opts = new EmbeddingOptions(allowNonFinite, append, common.prefix, meta);
      EmbeddingInfo info;
      try (EngineOptions.Engine e = common.engine.open();
          EmbeddingSource src = EmbeddingSources.open(input, dim)) {
        info = e.manager().embeddings().uploadEmbeddings(src, collection, opts);
      } catch (EmbeddingFormatException ex) {
        throw badInput(spec.commandLine(), ex);
      }
      System.out.println(common.json ? json(info) : info.key());
      if (!quiet && !common.json) {
        System.err.println("embeddings put " + collection + ": " + info.rows() + " rows x " + info.dim()
            + ", " + info.size() + " bytes, sha256 " + (info.sha256() == null ? "unknown" : info.sha256()));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "get", description = "Write rows I:J (half-open, as in Python; I: or :J allowed; default"
      + " all) of COLLECTION as .npy or CSV to FILE or standard output; only the chunks holding them are"
      + " downloaded.")
  static final class Get implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    Common common;

    @Parameters(index = "0", paramLabel = "COLLECTION")
    String collection;

    @Option(names = "--rows", paramLabel = "I:J", description = "Row range (default: all rows).")
    String rows;

    @Option(names = "--format", paramLabel = "npy|csv", description = "Output format (default: csv if FILE"
        + " ends in .csv, else npy).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output file (default: standard"
        + " output).")
    Path output;

    @Override
    public Integer call() throws Exception {
      RowOutput.Format fmt = format(spec.commandLine());
      try (EngineOptions.Engine e = common.engine.open()) {
        EmbeddingStore store = e.manager().embeddings();
        RowReader reader = store.reader(collection, common.options());
        long[] range = range(spec.commandLine(), rows, reader.header().rows());
        reader.checkRange(range[0], range[1] - range[0]);
        if (output == null) {
          write(reader, range, fmt, System.out);
        } else {
          Path tmp = output.resolveSibling("." + output.getFileName() + ".part");
          try (OutputStream os = Files.newOutputStream(tmp)) {
            write(reader, range, fmt, os);
          } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
          }
          Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (EmbeddingFormatException ex) {
        throw badInput(spec.commandLine(), ex);
      }
      return ExitCodes.OK;
    }

    private static void write(RowReader reader, long[] range, RowOutput.Format fmt, OutputStream os)
        throws IOException {
      try (RowOutput out = new RowOutput(os, fmt, range[1] - range[0], reader.header().dim())) {
        reader.read(range[0], range[1] - range[0], out);
      }
    }

    private RowOutput.Format format(CommandLine cl) {
      String f = format != null ? format
          : output != null && output.getFileName().toString().endsWith(".csv") ? "csv" : "npy";
      return switch (f.toLowerCase()) {
        case "npy" -> RowOutput.Format.NPY;
        case "csv" -> RowOutput.Format.CSV;
        default -> throw new CommandLine.ParameterException(cl, "--format must be npy or csv, got '" + f + "'");
      };
    }

    /** Parses I:J, I:, :J or I (one row) against the row count; negative values count from the end. */
    static long[] range(CommandLine cl, String spec, long total) {
      if (spec == null) {
        return new long[] {0, total};
      }
      try {
        int colon = spec.indexOf(':');
        if (colon < 0) {
          long i = index(spec.strip(), total);
          return new long[] {i, i + 1};
        }
        String a = spec.substring(0, colon).strip();
        String b = spec.substring(colon + 1).strip();
        long from = a.isEmpty() ? 0 : index(a, total);
        long to = b.isEmpty() ? total : index(b, total);
        if (to < from) {
          throw new CommandLine.ParameterException(cl, "--rows " + spec + ": end " + to + " is before start "
              + from);
        }
        return new long[] {from, to};
      } catch (NumberFormatException e) {
        throw new CommandLine.ParameterException(cl, "--rows must be I:J (e.g. 0:100), got '" + spec + "'");
      }
    }

    private static long index(String s, long total) {
      long v = Long.parseLong(s);
      return v < 0 ? total + v : v;
    }
  }

  @Command(name = "info", description = "Show rows, dimension, size and checksum of COLLECTION.")
  static final class Info implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(index = "0", paramLabel = "COLLECTION")
    String collection;

    @Override
    public Integer call() throws Exception {
      try (EngineOptions.Engine e = common.engine.open()) {
        EmbeddingInfo i = e.manager().embeddings().info(collection, common.options());
        if (common.json) {
          System.out.println(json(i));
        } else {
          System.out.println("collection  " + i.collection());
          System.out.println("key         " + i.key());
          System.out.println("rows        " + i.rows());
          System.out.println("dim         " + i.dim());
          System.out.println("dtype       float32 (<f4), C order");
          System.out.println("size        " + i.size());
          System.out.println("sha256      " + (i.sha256() == null ? "unknown" : i.sha256()));
          System.out.println("chunk size  " + i.chunkSize());
          System.out.println("version     " + i.version());
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", description = "List the collections (objects ending in .npy under the prefix).")
  static final class ListCollections implements Callable<Integer> {
    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
      try (EngineOptions.Engine e = common.engine.open()) {
        Listing l = e.store().list(common.prefix, null);
        for (ObjectInfo o : l.objects()) {
          if (o.key().endsWith(".npy")) {
            String name = o.key().substring(common.prefix.length(), o.key().length() - 4);
            System.out.println(common.json ? "{\"collection\":" + quote(name) + ",\"size\":" + o.size() + "}"
                : name + "\t" + o.size());
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "resume", description = "After a crash or kill of 'embeddings put': uploads that had"
      + " read all their rows are completed, those cut off while reading are rolled back (nothing partial"
      + " is ever visible). Uploads still running are left alone.")
  static final class Resume implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--no-wait", description = "Return once resumed uploads are queued.")
    boolean noWait;

    @Override
    public Integer call() throws Exception {
      try (EngineOptions.Engine e = common.engine.open()) {
        java.util.List<org.streamfs.model.StreamingOperation> acted = e.manager().embeddings().recover();
        for (var op : acted) {
          boolean resumed = op.status() != org.streamfs.model.OperationStatus.FAILED;
          System.out.println(op.operationId() + "\t" + op.key() + "\t" + (resumed ? "resuming" : "rolled back"));
        }
        if (!noWait && !e.manager().awaitCommitted(java.time.Duration.ofDays(1))) {
          throw new IOException("resumed uploads did not complete");
        }
        int failed = 0;
        for (var op : acted) {
          var now = e.manager().getOperation(op.operationId());
          if (!noWait && now.status() == org.streamfs.model.OperationStatus.FAILED
              && op.status() != org.streamfs.model.OperationStatus.FAILED) {
            System.err.println("embeddings resume: " + op.key() + " failed: " + now.error());
            failed++;
          }
        }
        if (acted.isEmpty()) {
          System.err.println("embeddings resume: nothing to resume");
        }
        return failed == 0 ? ExitCodes.OK : ExitCodes.TRANSFER_FAILED;
      }
    }
  }

  @Command(name = "bench", description = "Measure reads of N random row ranges of K rows of COLLECTION"
      + " (verified chunk fetches, as 'get' does); prints rows/s, excluding JVM start-up.")
  static final class Bench implements Callable<Integer> {
    @Mixin
    Common common;

    @Parameters(index = "0", paramLabel = "COLLECTION")
    String collection;

    @Option(names = "--ranges", paramLabel = "N", defaultValue = "100", description = "Ranges (default 100).")
    int ranges;

    @Option(names = "--count", paramLabel = "K", defaultValue = "16", description = "Rows per range"
        + " (default 16).")
    int count;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default 1).")
    long seed;

    @Override
    public Integer call() throws Exception {
      try (EngineOptions.Engine e = common.engine.open()) {
        RowReader reader = e.manager().embeddings().reader(collection, common.options());
        long total = reader.header().rows();
        int k = (int) Math.min(count, total);
        java.util.Random rnd = new java.util.Random(seed);
        long chunks = 0;
        double[] sum = {0};
        long t0 = System.nanoTime();
        for (int i = 0; i < ranges; i++) {
          long from = (long) (rnd.nextDouble() * (total - k + 1));
          chunks += reader.read(from, k, (r, v) -> sum[0] += v[0]);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(java.util.Locale.ROOT, "ranges=%d rows_per_range=%d rows=%d seconds=%.3f rows_per_s=%.0f"
            + " chunks_touched=%d checksum=%.3f%n", ranges, k, (long) ranges * k, secs, ranges * (double) k / secs,
            chunks, sum[0]);
      }
      return ExitCodes.OK;
    }
  }
}

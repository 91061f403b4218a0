package org.streamfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.streamfs.cli.config.Sizes;
import org.streamfs.model.OperationKind;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreKeys;
import org.streamfs.transfer.Scrubber;
import org.streamfs.transfer.codec.SealingStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfs scrub}: reads objects back from the store and checks every chunk against the manifest the
 * store keeps for it ({@link Scrubber}). Prints one line per finding that needs attention (corrupt objects
 * with their bad chunk indexes, objects without a manifest, orphan manifests) and a summary; with
 * {@code --json}, one JSON object per line instead. Exit 5 when anything is corrupt, else 0.
 */
@Command(name = "scrub", description = "Read objects back and check every chunk against the manifest kept in"
    + " the store; report corrupt objects (exit 5), objects without a manifest and orphan manifests.")
final class ScrubCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long UNIT = 1 << 20;

  @Mixin
  EngineOptions engine;

  @Option(names = "--prefix", paramLabel = "P", defaultValue = "",
      description = "Only objects whose key starts with P (default: all).")
  String prefix;

  @Option(names = "--json", description = "One JSON object per finding and a summary, on stdout.")
  boolean json;

  @Option(names = "--rate", paramLabel = "RATE", description = "Read at most RATE bytes per second, e.g. 50M"
      + " (default: as fast as the store answers).")
  String rate;

  @Option(names = "--quiet", description = "No progress on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    long perSecond = rate == null ? 0 : Sizes.parse(rate, 1, Long.MAX_VALUE);
    StoreKeys.validatePrefix(prefix);
    Scrubber.Summary s;
    try (ObjectStore store = new SealingStore(engine.openStore(), engine.codecOptions());
        Progress progress = new Progress("scrub", json, quiet)) {
      s = new Scrubber(store, perSecond).run(prefix, new Scrubber.Listener() {
        @Override
        public void onFinding(Scrubber.Finding f) {
          report(f);
        }

        @Override
        public void onBytes(long done, long total) {
          progress.onProgress(total == 0 ? 100.0 : 100.0 * done / total, asOperation(done, total));
        }
      });
    }
    if (json) {
      ObjectNode n = JSON.createObjectNode();
      n.put("type", "summary");
      n.put("objects", s.objects());
      n.put("bytes_read", s.bytes());
      n.put("ok", s.ok());
      n.put("corrupt", s.corrupt());
      n.put("unverified", s.unverified());
      n.put("orphan_manifests", s.orphans());
      n.put("errors", s.errors());
      System.out.println(n);
    } else {
      System.out.printf("scrubbed %d object(s), %s read: %d ok, %d corrupt, %d without a manifest, %d orphan"
          + " manifest(s), %d unreadable%n", s.objects(), Progress.human(s.bytes()), s.ok(), s.corrupt(),
          s.unverified(), s.orphans(), s.errors());
    }
    System.out.flush();
    return s.corrupt() > 0 ? ExitCodes.CHECKSUM : ExitCodes.OK;
  }

  private void report(Scrubber.Finding f) {
    if (json) {
      ObjectNode n = JSON.createObjectNode();
      n.put("type", switch (f.kind()) {
        case OK -> "ok";
        case CORRUPT -> "corrupt";
        case UNVERIFIED -> "no_manifest";
        case ORPHAN_MANIFEST -> "orphan_manifest";
        case ERROR -> "error";
      });
      n.put("key", f.key());
      n.put("version", f.version());
      n.put("size", f.size());
      if (f.kind() == Scrubber.Kind.CORRUPT) {
        f.badChunks().forEach(n.putArray("bad_chunks")::add);
      }
      if (!f.detail().isEmpty()) {
        n.put("detail", f.detail());
      }
      System.out.println(n);
    } else if (f.kind() != Scrubber.Kind.OK) {
      String what = switch (f.kind()) {
        case CORRUPT -> "corrupt " + f.key() + " chunks " + join(f.badChunks()) + " (" + f.detail() + ")";
        case UNVERIFIED -> "no-manifest " + f.key() + " (" + f.detail() + ")";
        case ORPHAN_MANIFEST -> "orphan-manifest " + f.key() + " (" + f.detail() + ")";
        default -> "error " + f.key() + " (" + f.detail() + ")";
      };
      System.out.println(what);
    }
    System.out.flush();
  }

  private static String join(List<Integer> xs) {
    return String.join(",", xs.stream().map(String::valueOf).toList());
  }

  /** The scrub's bytes as an operation of 1 MiB units, which is what {@link Progress} shows. */
  private static StreamingOperation asOperation(long done, long total) {
    int units = (int) Math.min(Integer.MAX_VALUE, (total + UNIT - 1) / UNIT);
    int doneUnits = done >= total ? units : (int) Math.min(units, done / UNIT);
    Instant now = Instant.now();
    return new StreamingOperation("scrub", OperationKind.DOWNLOAD, "", "", total, UNIT, units, doneUnits,
        OperationStatus.IN_PROGRESS, now, now, null, Map.of(), null, null, 0);
  }
}

package org.streamfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.streamfs.catalog.Catalog;
import org.streamfs.cli.config.Durations;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfs cleanup}: removes ended operations older than the retention period; with
 * {@code --orphans}, lists (and with {@code --yes} aborts) the unfinished uploads in the store that no state
 * dir on this machine owns, e.g. after a state dir was lost ({@link OrphanUploads}).
 */
@Command(name = "cleanup", description = {
    "Remove ended operations (and kept staged bytes) older than N days.",
    "With --orphans: list the unfinished uploads in the store (S3 multipart uploads, local"
        + " .streamfs-uploads/ directories, CouchDB staging documents) that were begun more than --older-than"
        + " ago and that no consulted catalog references, and abort them with --yes. The store cannot know"
        + " which state dirs exist: the catalogs consulted are the given state dir's, the default state dir's"
        + " (new and old place), those of this user's mounts ($XDG_STATE_HOME/streamfs/*, the mount"
        + " registry) and --keep-state-dir ones. An upload begun by a state dir on another machine looks like"
        + " an orphan here: run it where the transfers run, or pick --older-than longer than any upload."
        + " On S3 only uploads this tool began (its ledger under .streamfs/uploads/) are ever listed."})
final class CleanupCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin
  EngineOptions engine;

  @Option(names = "--retention-days", paramLabel = "N", defaultValue = "7",
      description = "Keep ended operations this many days (default: 7; 0 removes all ended ones).")
  int days;

  @Option(names = "--orphans", description = "List unfinished uploads in the store that no state dir owns"
      + " (abort them with --yes) instead of removing old operations.")
  boolean orphans;

  @Option(names = "--older-than", paramLabel = "DURATION", description = "With --orphans: only uploads begun"
      + " at least this long ago, e.g. 12h, 1d, 0s (default: 1d).")
  String olderThan;

  @Option(names = "--keep-state-dir", paramLabel = "DIR", description = "With --orphans: also keep the"
      + " uploads this state dir's catalog references (repeatable).")
  List<Path> keepStateDirs;

  @Option(names = "--yes", description = "With --orphans: abort the orphan uploads (without it, only list).")
  boolean yes;

  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (!orphans) {
      if (olderThan != null || yes || keepStateDirs != null) {
        throw new IllegalArgumentException("--older-than, --keep-state-dir and --yes go with --orphans");
      }
      return operations();
    }
    Duration age = Durations.parse(olderThan == null ? "1d" : olderThan);
    if (keepStateDirs != null) {
      for (Path d : keepStateDirs) {
        if (!Files.isDirectory(d.resolve("catalog"))) {
          throw new IllegalArgumentException("--keep-state-dir " + d + ": no catalog there");
        }
      }
    }
    return orphanUploads(age);
  }

  private int operations() throws IOException {
    if (days < 0) {
      throw new IllegalArgumentException("--retention-days must be >= 0, got " + days);
    }
    try (EngineOptions.Engine e = engine.open()) {
      int n = e.manager().cleanupOldOperations(days);
      if (json) {
        System.out.println(JSON.createObjectNode().put("removed_operations", n).put("retention_days", days));
      } else {
        System.out.println("removed " + n + " operation(s) older than " + days + " day(s)");
      }
    }
    return ExitCodes.OK;
  }

  private int orphanUploads(Duration age) throws IOException {
    Path given = engine.stateDir();
    OrphanUploads.References refs = OrphanUploads.References.none();
    for (Path dir : OrphanUploads.consulted(given, keepStateDirs)) {
      // A catalog that does not open (another process holds it in a way we cannot share, or it is damaged)
      // is one we cannot read: it counts as unreadable, which keeps --yes from aborting anything.
      try (Catalog c = Catalog.open(dir.resolve("catalog"))) {
        refs = refs.plus(OrphanUploads.References.of(dir, c));
      } catch (IOException | RuntimeException e) {
        refs = refs.plus(new OrphanUploads.References(java.util.Set.of(), List.of(dir),
            List.of(dir + ": " + Main.oneLine(e))));
      }
    }
    Instant now = Instant.now();
    Instant cutoff = now.minus(age);
    int aborted = 0;
    List<StoreException> failures = new ArrayList<>();
    OrphanUploads.Scan scan;
    String described;
    // The raw store: an abort needs no key (an encrypted upload aborts like any other), and an id listed by
    // the store is what its abort takes.
    try (ObjectStore store = engine.openStore()) {
      described = store.describe();
      scan = OrphanUploads.scan(store.listUploads(""), refs, cutoff);
      boolean abort = yes && refs.unreadable().isEmpty();
      for (PendingUpload u : scan.orphans()) {
        String error = null;
        if (abort) {
          try {
            store.abortUpload(u.key(), u.uploadId());
            aborted++;
          } catch (StoreException e) {
            failures.add(e);
            error = Main.oneLine(e);
          }
        }
        report(u, now, abort ? (error == null ? "aborted" : "failed") : "orphan", error);
      }
    }
    summary(described, scan, refs, age, aborted, failures.size());
    if (yes && !refs.unreadable().isEmpty() && !scan.orphans().isEmpty()) {
      System.err.println("streamfs: not aborting anything: " + refs.unreadable().size() + " catalog record(s)"
          + " could not be read, so which uploads they own is unknown (" + refs.unreadable().get(0) + ")");
      return ExitCodes.TRANSFER_FAILED;
    }
    return failures.isEmpty() ? ExitCodes.OK : Main.exitCode(failures.get(0));
  }

  private void report(PendingUpload u, Instant now, String action, String error) {
    long ageSeconds = Duration.between(u.initiated(), now).toSeconds();
    if (json) {
      ObjectNode n = JSON.createObjectNode().put("action", action).put("key", u.key())
          .put("upload_id", u.uploadId()).put("initiated", u.initiated().toString()).put("age_s", ageSeconds);
      if (error != null) {
        n.put("error", error);
      }
      System.out.println(n);
    } else {
      System.out.println(action + " " + u.key() + " upload " + u.uploadId() + " begun " + u.initiated()
          + " (" + Durations.format(Duration.ofSeconds(ageSeconds)) + " ago)" + (error != null ? ": " + error
          : ""));
    }
  }

  private void summary(String store, OrphanUploads.Scan scan, OrphanUploads.References refs, Duration age,
      int aborted, int failed) {
    if (json) {
      ObjectNode n = JSON.createObjectNode().put("store", store)
          .put("older_than_s", age.toSeconds()).put("orphans", scan.orphans().size()).put("aborted", aborted)
          .put("failed", failed).put("kept_owned", scan.owned()).put("kept_younger", scan.younger())
          .put("unreadable_records", refs.unreadable().size());
      var dirs = n.putArray("state_dirs");
      refs.catalogs().forEach(d -> dirs.add(d.toString()));
      System.out.println(n);
      return;
    }
    System.out.println(scan.orphans().size() + " orphan upload(s) begun more than "
        + Durations.format(age) + " ago; " + aborted + " aborted" + (failed > 0 ? ", " + failed + " failed" : "")
        + "; kept " + scan.owned() + " owned by a state dir, " + scan.younger() + " younger");
    System.out.println("store " + store + "; state dirs consulted: " + refs.catalogs());
    if (!yes && !scan.orphans().isEmpty()) {
      System.out.println("run again with --yes to abort them");
    }
  }
}

package org.streamfs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.streamfs.catalog.Catalog;
import org.streamfs.catalog.SagaStep;
import org.streamfs.model.ChunkMetadataCorruptException;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.PendingUpload;
import org.streamfs.transfer.codec.SealingStore;

/**
 * Which of a store's unfinished uploads (S3 multipart uploads, local {@code .streamfs-uploads/} directories,
 * CouchDB staging documents) no state dir on this machine owns. A store cannot know about state dirs, so the
 * rule is the one of rclone's {@code backend cleanup} and of list-multipart-uploads + abort: an upload is an
 * orphan when it was begun before a cutoff and no catalog we consult references its upload id (as an
 * operation's upload or as a compensation still owed). An upload whose start time the store does not report
 * is never an orphan.
 */
final class OrphanUploads {
  private OrphanUploads() {}

  /** The store upload ids some catalogs reference, and how many of their records could not be read. */
  record References(Set<String> uploadIds, List<Path> catalogs, List<String> unreadable) {
    /** Reads the references of the catalog in {@code stateDir}. */
    static References of(Path stateDir, Catalog c) {
      Set<String> ids = new HashSet<>();
      List<String> bad = new ArrayList<>();
      Catalog.Operations ops = c.listOperations();
      for (StreamingOperation op : ops.operations()) {
        if (op.uploadId() != null) {
          ids.add(SealingStore.storeUploadId(op.uploadId()));
        }
      }
      for (ChunkMetadataCorruptException e : ops.corrupt()) {
        bad.add(stateDir + ": " + e.getMessage());
      }
      try {
        for (SagaStep s : c.allSagaSteps()) {
          if (s.uploadId() != null) {
            ids.add(SealingStore.storeUploadId(s.uploadId()));
          }
        }
      } catch (ChunkMetadataCorruptException e) {
        bad.add(stateDir + ": " + e.getMessage());
      }
      return new References(ids, List.of(stateDir), bad);
    }

    static References none() {
      return new References(Set.of(), List.of(), List.of());
    }

    References plus(References o) {
      Set<String> ids = new HashSet<>(uploadIds);
      ids.addAll(o.uploadIds);
      List<Path> cs = new ArrayList<>(catalogs);
      cs.addAll(o.catalogs);
      List<String> bad = new ArrayList<>(unreadable);
      bad.addAll(o.unreadable);
      return new References(ids, cs, bad);
    }

    boolean owns(PendingUpload u) {
      return uploadIds.contains(SealingStore.storeUploadId(u.uploadId()));
    }
  }

  /** The outcome of sorting a store's uploads: orphans, and how many were kept for which reason. */
  record Scan(List<PendingUpload> orphans, int owned, int younger) {}

  static Scan scan(List<PendingUpload> pending, References refs, Instant cutoff) {
    List<PendingUpload> orphans = new ArrayList<>();
    int owned = 0;
    int younger = 0;
    for (PendingUpload u : pending) {
      if (refs.owns(u)) {
        owned++;
      } else if (u.initiated() == null || u.initiated().isAfter(cutoff)) {
        younger++;
      } else {
        orphans.add(u);
      }
    }
    return new Scan(orphans, owned, younger);
  }

  /**
   * The state dirs whose catalogs are consulted besides the given one: the default state dir (and the old
   * one under the cache dir), the state dirs of mounts under {@code $XDG_STATE_HOME/streamfs/}, those of the
   * mounts in the registry, and the extra ones given; only those that hold a catalog.
   */
  static Set<Path> consulted(Path given, List<Path> extra) {
    Set<Path> dirs = new LinkedHashSet<>();
    dirs.add(given);
    dirs.add(EngineOptions.newDefaultStateDir());
    dirs.add(EngineOptions.legacyDefaultStateDir());
    Path mounts = EngineOptions.newDefaultStateDir().getParent();
    if (Files.isDirectory(mounts)) {
      try (Stream<Path> s = Files.list(mounts)) {
        s.filter(Files::isDirectory).sorted().forEach(dirs::add);
      } catch (IOException e) {
        // unreadable: the given state dir still counts
      }
    }
    dirs.addAll(MountRegistry.registeredStateDirs());
    if (extra != null) {
      dirs.addAll(extra);
    }
    Set<Path> out = new LinkedHashSet<>();
    for (Path d : dirs) {
      Path abs = d.toAbsolutePath().normalize();
      if (abs.equals(given.toAbsolutePath().normalize()) || Files.isDirectory(abs.resolve("catalog"))) {
        out.add(abs);
      }
    }
    return out;
  }
}

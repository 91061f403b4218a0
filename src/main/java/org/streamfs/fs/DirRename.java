package org.streamfs.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.catalog.KvTable;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.Namespace;

/**
 * Renames a directory in a store that has no rename: files still being written below it are committed and
 * waited for first, then every object below the old prefix (markers included) is copied to the new prefix
 * (on a store that moves files in place, a local directory, the directory itself is renamed when the target
 * is absent or empty, else each file is moved), and the old keys left are deleted deepest first (a marker
 * must be empty to go); live files are re-keyed.
 *
 * <p>Not atomic, but finished after a crash: the rename is recorded in the catalog ({@code dir-renames})
 * before the first copy and forgotten after the last delete, and {@link #finishInterrupted} — run by the
 * mount before it answers — does a recorded rename again. Doing it again is safe at any point of a crash:
 * every key still under the old prefix is copied (again, if it already was: the source is still the
 * truth while it exists), and a key leaves the old prefix only by an atomic move or by a delete after all
 * were copied, so a key missing under the old prefix is already under the new one. The same rename asked
 * for again while the mount runs (after the store refused part of it) goes on from the same record.
 */
final class DirRename {
  private static final Logger LOG = LoggerFactory.getLogger(DirRename.class);
  private static final AtomicLong SEQ = new AtomicLong();
  static final String TABLE = "dir-renames";

  private final Namespace ns;
  private final OpenFiles files;
  private final KvTable journal;

  DirRename(Namespace ns, OpenFiles files, KvTable journal) {
    this.ns = ns;
    this.files = files;
    this.journal = journal;
  }

  /** Renames directory key {@code src} (no trailing slash) to {@code dst}. */
  void run(String src, String dst) throws IOException {
    for (String k : files.keysUnder(src + "/")) {
      LiveFile f = files.get(k);
      if (f != null) {
        files.settle(f);
      }
    }
    byte[] id = pendingId(src, dst);
    if (id == null) {
      id = String.format("%016x-%08x", System.currentTimeMillis(), SEQ.incrementAndGet() & 0xffffffffL)
          .getBytes(StandardCharsets.US_ASCII);
      journal.put(id, record(src, dst));
    }
    move(src, dst);
    journal.delete(id);
  }

  /** Whether a rename of {@code src} to {@code dst} was begun and not finished (a store error cut it). */
  boolean pending(String src, String dst) {
    return pendingId(src, dst) != null;
  }

  private byte[] pendingId(String src, String dst) {
    byte[] want = record(src, dst);
    for (Map.Entry<byte[], byte[]> e : journal.scan(new byte[0])) {
      if (java.util.Arrays.equals(e.getValue(), want)) {
        return e.getKey();
      }
    }
    return null;
  }

  private static byte[] record(String src, String dst) {
    return (src + "\0" + dst).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Finishes every rename a crash interrupted, oldest first; returns how many. One that fails again (the
   * store refuses) stays recorded for the next mount and is logged.
   */
  int finishInterrupted() {
    int done = 0;
    for (Map.Entry<byte[], byte[]> e : journal.scan(new byte[0])) {
      String v = new String(e.getValue(), StandardCharsets.UTF_8);
      int cut = v.indexOf('\0');
      if (cut <= 0 || cut == v.length() - 1) {
        LOG.warn("dropping an unreadable directory rename record ({} bytes)", e.getValue().length);
        journal.delete(e.getKey());
        continue;
      }
      String src = v.substring(0, cut);
      String dst = v.substring(cut + 1);
      try {
        LOG.info("finishing the rename of directory {} to {} that the last run left half done", src, dst);
        move(src, dst);
        journal.delete(e.getKey());
        done++;
      } catch (IOException | RuntimeException ex) {
        LOG.warn("could not finish the rename of directory {} to {} (tried again at the next mount): {}", src,
            dst, ex.toString());
      }
    }
    return done;
  }

  private void move(String src, String dst) throws IOException {
    String from = src + "/";
    String to = dst + "/";
    List<ObjectInfo> objects = new ArrayList<>(ns.listAll(from));
    objects.sort(Comparator.comparing(ObjectInfo::key));
    // a local directory store renames the whole directory at once (atomic, onto nothing or an empty one)
    List<ObjectInfo> whole = ns.movesInPlace() ? ns.movePrefix(from, to, objects) : null;
    if (whole != null) {
      for (ObjectInfo n : whole) {
        files.rekey(from + n.key().substring(to.length()), n.key(), n);
      }
      return;
    }
    boolean[] moved = new boolean[objects.size()];
    for (int i = 0; i < objects.size(); i++) {
      ObjectInfo o = objects.get(i);
      if (!o.key().equals(from)) {
        String target = to + o.key().substring(from.length());
        // a store that moves files in place (a local directory) moves each one: no bytes copied
        moved[i] = ns.movesInPlace() && !o.key().endsWith("/");
        files.rekey(o.key(), target, moved[i] ? ns.rename(o.key(), target) : ns.copy(o.key(), target));
      }
    }
    for (int i = objects.size() - 1; i >= 0; i--) {
      if (!objects.get(i).key().equals(from) && !moved[i]) {
        ns.delete(objects.get(i).key());
      }
    }
    if (ns.find(from).isPresent()) {
      ns.rename(from, to);
    } else if (ns.find(to).isEmpty()) {
      ns.put(to, new byte[0], Meta.create(Attr.S_IFDIR | 0755, 0, 0));
    }
  }
}

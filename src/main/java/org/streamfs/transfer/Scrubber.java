package org.streamfs.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.Sha256;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoredManifest;

/**
 * Reads objects back from the store and checks every chunk against the manifest the store keeps for it
 * (never this machine's catalog: a scrub judges what the store holds). Reports each object whose chunks do
 * not match (with their indexes; a mismatch is read once more before it counts), each object without a
 * manifest naming its version (written by another tool, or left by a crash before its manifest; not read),
 * and each orphan manifest: a sidecar whose object is gone, or that names a version the object no longer
 * has. Objects are read one at a time, chunk by chunk, at most {@code bytesPerSecond} (0: unlimited).
 */
public final class Scrubber {
  private static final int BUFFER = 1 << 16;

  /** What a scrub found. */
  public enum Kind {
    /** Every chunk matched its manifest. */
    OK,
    /** At least one chunk does not match, read twice. */
    CORRUPT,
    /** No manifest names this version: nothing to check it against. */
    UNVERIFIED,
    /** A sidecar whose object is gone or has another version now. */
    ORPHAN_MANIFEST,
    /** The object could not be read (gone or changed meanwhile, store error). */
    ERROR
  }

  /** One finding: an object (or, for an orphan, the key its manifest names). */
  public record Finding(Kind kind, String key, String version, long size, List<Integer> badChunks,
      String detail) {
    public Finding {
      badChunks = List.copyOf(badChunks);
    }
  }

  /** Told about each finding and about the bytes read so far. */
  public interface Listener {
    void onFinding(Finding f);

    default void onBytes(long done, long total) {}
  }

  /** Counts of one scrub. */
  public record Summary(int objects, long bytes, int ok, int corrupt, int unverified, int orphans, int errors) {}

  private final ObjectStore store;
  private final long bytesPerSecond;
  private final long startNanos = System.nanoTime();
  private long bytesRead;
  private long position; // bytes of the listed objects checked so far (a re-read does not move it)

  public Scrubber(ObjectStore store, long bytesPerSecond) {
    this.store = store;
    this.bytesPerSecond = Math.max(0, bytesPerSecond);
  }

  /** Scrubs every object whose key starts with {@code prefix} ("" for all). */
  public Summary run(String prefix, Listener listener) throws IOException {
    List<ObjectInfo> objects = new ArrayList<>();
    for (ObjectInfo o : store.list(prefix, null).objects()) {
      if (!o.isDirectory()) {
        objects.add(o);
      }
    }
    long total = objects.stream().mapToLong(ObjectInfo::size).sum();
    int ok = 0;
    int corrupt = 0;
    int unverified = 0;
    int orphans = 0;
    int errors = 0;
    Set<String> seen = new HashSet<>();
    listener.onBytes(0, total);
    for (ObjectInfo o : objects) {
      seen.add(StoredManifest.sidecarId(o.key()));
      StoredManifest sm = store.readManifest(o.key());
      Finding f;
      if (sm != null && !sm.vouchesFor(o)) {
        orphans++;
        listener.onFinding(new Finding(Kind.ORPHAN_MANIFEST, o.key(), sm.version(), sm.size(), List.of(),
            "the manifest names version " + sm.version() + " (" + sm.size() + " bytes); the object is "
                + o.version() + " (" + o.size() + " bytes)"));
        sm = null;
      }
      long end = position + o.size();
      if (sm == null) {
        f = new Finding(Kind.UNVERIFIED, o.key(), o.version(), o.size(), List.of(), "no manifest names this"
            + " version");
      } else {
        f = check(o, sm, total, listener);
      }
      switch (f.kind()) {
        case OK -> ok++;
        case CORRUPT -> corrupt++;
        case UNVERIFIED -> unverified++;
        default -> errors++;
      }
      position = end; // an object not read, or cut short, counts as checked
      listener.onBytes(Math.min(position, total), total);
      listener.onFinding(f);
    }
    for (String id : store.listManifestIds()) {
      if (seen.contains(id)) {
        continue;
      }
      StoredManifest sm = store.readManifestById(id);
      if (sm == null || !sm.key().startsWith(prefix) || !StoredManifest.sidecarId(sm.key()).equals(id)) {
        continue; // gone meanwhile, outside the prefix, or not a manifest of ours
      }
      String why;
      try {
        ObjectInfo now = store.stat(sm.key());
        if (sm.vouchesFor(now)) {
          continue; // written after the listing
        }
        why = "the manifest names version " + sm.version() + "; the object is " + now.version();
      } catch (StoreException e) {
        if (e.kind() != StoreException.Kind.NOT_FOUND) {
          throw e;
        }
        why = "the object is gone";
      }
      orphans++;
      listener.onFinding(new Finding(Kind.ORPHAN_MANIFEST, sm.key(), sm.version(), sm.size(), List.of(), why));
    }
    listener.onBytes(total, total);
    return new Summary(objects.size(), bytesRead, ok, corrupt, unverified, orphans, errors);
  }

  private Finding check(ObjectInfo o, StoredManifest sm, long total, Listener listener) throws IOException {
    long cs = sm.chunkSize();
    int chunks = sm.chunkSha256().size();
    List<Integer> bad = new ArrayList<>();
    try {
      for (int i = 0; i < chunks; i++) {
        long off = i * cs;
        long len = Math.max(0, Math.min(cs, o.size() - off));
        String expected = sm.chunkSha256().get(i);
        if (!expected.equals(chunkSha(o, off, len, total, listener, true))
            && !expected.equals(chunkSha(o, off, len, total, listener, false))) {
          bad.add(i);
        }
      }
    } catch (StoreException e) {
      String what = switch (e.kind()) {
        case NOT_FOUND -> "deleted while it was scrubbed";
        case PRECONDITION_FAILED -> "replaced while it was scrubbed";
        default -> "cannot be read: " + e.getMessage();
      };
      return new Finding(Kind.ERROR, o.key(), o.version(), o.size(), List.of(), what);
    }
    if (bad.isEmpty()) {
      return new Finding(Kind.OK, o.key(), o.version(), o.size(), List.of(), "");
    }
    return new Finding(Kind.CORRUPT, o.key(), o.version(), o.size(), bad, bad.size() + " of " + chunks
        + " chunks do not match their SHA-256");
  }

  /** SHA-256 (hex) of bytes [off, off+len) of this version; a checksum error of a sealed object gives "". */
  private String chunkSha(ObjectInfo o, long off, long len, long total, Listener listener, boolean first)
      throws IOException {
    MessageDigest md = Sha256.newDigest();
    try (InputStream in = store.read(o.key(), off, len, o.version())) {
      byte[] buf = new byte[BUFFER];
      long got = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
        got += n;
        bytesRead += n;
        if (first) {
          position += n;
          listener.onBytes(Math.min(position, total), total);
        }
        pace();
      }
      if (got != len) {
        return "";
      }
    } catch (ChecksumMismatchException e) {
      return ""; // the store's own check (a sealed object) refused the bytes
    }
    return Sha256.hex(md.digest());
  }

  /** Sleeps as long as the bytes read so far are ahead of the rate. */
  private void pace() throws IOException {
    if (bytesPerSecond <= 0) {
      return;
    }
    long dueNanos = (long) (bytesRead * 1e9 / bytesPerSecond);
    long ahead = dueNanos - (System.nanoTime() - startNanos);
    if (ahead > 1_000_000) {
      try {
        Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("scrub interrupted");
      }
    }
  }
}

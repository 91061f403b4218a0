package org.streamfs.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.ChunkManifest;

/**
 * Extended attributes: user ones kept in the object metadata ({@link Meta#XATTRS}; set and remove honour
 * XATTR_CREATE/XATTR_REPLACE), and the read-only {@code user.streamfs.*} ones: {@code status} (writing, uploading, stored, failed:
 * reason), {@code progress} ("UPLOADED/TOTAL bytes (P%)"), {@code sha256} (the whole file's SHA-256 as
 * recorded at upload) and {@code verified} ({@code yes} when reads of the stored version are checked chunk by
 * chunk against a manifest naming that version, {@code no} for an object another tool wrote) on files, and
 * {@code statedir} on the mount root (how the CLI finds a mount's state
 * directory and control socket).
 */
final class Xattrs {
  static final String PREFIX = "user.streamfs.";

  private Xattrs() {}

  static byte[] get(StreamFs fs, String path, String name) throws IOException {
    String key = StreamFs.key(path);
    if (name.startsWith(PREFIX)) {
      String v = special(fs, key, name.substring(PREFIX.length()));
      if (v == null) {
        throw FsException.of(Errno.ENODATA, path, "no attribute " + name);
      }
      return v.getBytes(StandardCharsets.UTF_8);
    }
    byte[] v = Meta.xattrs(fs.metadataOf(path, key)).get(name);
    if (v == null) {
      throw FsException.of(Errno.ENODATA, path, "no attribute " + name);
    }
    return v;
  }

  static List<String> list(StreamFs fs, String path) throws IOException {
    String key = StreamFs.key(path);
    Set<String> names = new LinkedHashSet<>(Meta.xattrs(fs.metadataOf(path, key)).keySet());
    names.addAll(specialNames(key));
    return List.copyOf(names);
  }

  /** Room for a file's xattrs, as encoded into one metadata value (a local store's xattr limit is 4,000). */
  static final int MAX_ENCODED_BYTES = 4000;

  static void set(StreamFs fs, String path, String name, byte[] value, int flags) throws IOException {
    if (name.startsWith(PREFIX)) {
      throw FsException.of(Errno.EPERM, path, name + " is read-only");
    }
    if (!name.contains(".")) {
      throw FsException.of(Errno.ENOTSUP, path, "attribute name without namespace: " + name);
    }
    try {
      fs.updateMeta(path, m -> {
        Map<String, byte[]> x = Meta.xattrs(m);
        boolean present = x.containsKey(name);
        if ((flags & 1) != 0 && present) {
          throw new UncheckedIOException(FsException.of(Errno.EEXIST, path, name + " exists"));
        }
        if ((flags & 2) != 0 && !present) {
          throw new UncheckedIOException(FsException.of(Errno.ENODATA, path, "no attribute " + name));
        }
        x.put(name, value);
        Map<String, String> updated = Meta.withXattrs(m, x);
        int encoded = updated.get(Meta.XATTRS).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (encoded > MAX_ENCODED_BYTES) {
          // refused now, as ext4 refuses xattrs past its block: accepted, it would fail the file's upload
          throw new UncheckedIOException(FsException.of(Errno.ENOSPC, path, "no room for extended attribute "
              + name + ": a file's attributes are stored in " + MAX_ENCODED_BYTES + " bytes of metadata, these"
              + " would take " + encoded));
        }
        return updated;
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  static void remove(StreamFs fs, String path, String name) throws IOException {
    if (name.startsWith(PREFIX)) {
      throw FsException.of(Errno.EPERM, path, name + " is read-only");
    }
    if (!Meta.xattrs(fs.metadataOf(path, StreamFs.key(path))).containsKey(name)) {
      throw FsException.of(Errno.ENODATA, path, "no attribute " + name);
    }
    fs.updateMeta(path, m -> {
      Map<String, byte[]> x = Meta.xattrs(m);
      x.remove(name);
      return Meta.withXattrs(m, x);
    });
  }

  static List<String> specialNames(String key) {
    if (key.isEmpty()) {
      return List.of("user.streamfs.statedir");
    }
    return List.of("user.streamfs.status", "user.streamfs.progress", "user.streamfs.sha256",
        "user.streamfs.verified");
  }

  /** The value of {@code user.streamfs.<name>} for {@code key}, or null if it has none. */
  static String special(StreamFs fs, String key, String name) throws IOException {
    if (key.isEmpty()) {
      return name.equals("statedir") ? fs.options().stateDir() : null;
    }
    LiveFile f = fs.live(key);
    ObjectInfo stored;
    if (f != null) {
      switch (name) {
        case "status":
          return f.status();
        case "progress":
          return f.progress();
        default:
          break;
      }
      synchronized (f) {
        if (f.staged != null || f.committing != null) {
          return null;
        }
        stored = f.base;
      }
    } else {
      Lookup.Entry e = fs.lookup().get(key);
      if (e.object() == null || e.attr().isDirectory()) {
        return name.equals("status") ? "stored" : null;
      }
      stored = e.object();
      if (name.equals("status")) {
        String conflict = fs.files().recentConflict(key, stored.version());
        return conflict != null ? conflict : "stored";
      }
      if (name.equals("progress")) {
        return stored.size() + "/" + stored.size() + " bytes (100%)";
      }
    }
    if (name.equals("verified") && stored != null) {
      // an empty file has nothing to verify; else: whether its chunks are checked against a manifest that
      // names this very version (from this machine's catalog or the store)
      return stored.size() == 0 || fs.reader().manifest(stored, true).verifiable() ? "yes" : "no";
    }
    if (!name.equals("sha256") || stored == null) {
      return null;
    }
    String sha = stored.metadata().get(Meta.SHA256);
    if (sha != null) {
      return sha;
    }
    ChunkManifest m = fs.reader().manifest(stored);
    return m.sha256();
  }
}

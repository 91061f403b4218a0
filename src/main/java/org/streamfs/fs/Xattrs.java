package org.streamfs.fs;

import java.io.IOException;
import java.util.List;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.ChunkManifest;

/**
 * The read-only {@code user.streamfs.*} attributes: {@code status} (writing, uploading, stored, failed:
 * reason), {@code progress} ("UPLOADED/TOTAL bytes (P%)"), {@code sha256} (the whole file's SHA-256 as
 * recorded at upload) on files, and {@code statedir} on the mount root (how the CLI finds a mount's state
 * directory and control socket).
 */
final class Xattrs {
  private Xattrs() {}

  static List<String> specialNames(String key) {
    if (key.isEmpty()) {
      return List.of("user.streamfs.statedir");
    }
    return List.of("user.streamfs.status", "user.streamfs.progress", "user.streamfs.sha256");
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
        return "stored";
      }
      if (name.equals("progress")) {
        return stored.size() + "/" + stored.size() + " bytes (100%)";
      }
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

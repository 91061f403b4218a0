package org.streamfs.fs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.streamfs.store.ObjectInfo;

/**
 * How POSIX attributes live in object user metadata (s3fs-compatible): {@code mode} = decimal st_mode with
 * the type bits, {@code uid}, {@code gid} decimal, {@code mtime}, {@code atime}, {@code ctime} =
 * "SECONDS.NANOS", {@code rdev} = decimal st_rdev of a device node (fifos, sockets and devices are empty
 * objects carrying their type in {@code mode}, like symlinks), {@code ino} = the inode number, drawn at
 * random when the entry is made and kept by renames and remounts (without one: a hash of the key).
 * Extended attributes
 * are one metadata entry {@code xattrs} holding a JSON object from attribute name to base64 value (metadata
 * keys must be lower-case, attribute names need not be). Objects without these entries (put by other tools)
 * get defaults: 0644 files, 0755 directories, the mount owner, the store's last-modified time (for atime
 * and ctime too when only mtime is there).
 */
public final class Meta {
  public static final String MODE = "mode";
  public static final String UID = "uid";
  public static final String GID = "gid";
  public static final String MTIME = "mtime";
  public static final String ATIME = "atime";
  public static final String CTIME = "ctime";
  public static final String RDEV = "rdev";
  public static final String INO = "ino";
  public static final String XATTRS = "xattrs";
  public static final String SHA256 = "streamfs-sha256";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Meta() {}

  /** Attributes of a stored object (file, symlink or directory marker). */
  public static Attr attr(ObjectInfo info, long defaultUid, long defaultGid) {
    Map<String, String> m = info.metadata();
    int type = info.isDirectory() ? Attr.S_IFDIR : Attr.S_IFREG;
    int mode = parseInt(m.get(MODE), type | (info.isDirectory() ? 0755 : 0644));
    if ((mode & Attr.S_IFMT) == 0) {
      mode |= type;
    }
    if (info.isDirectory()) {
      mode = Attr.S_IFDIR | (mode & 07777);
    }
    long uid = parseLong(m.get(UID), defaultUid);
    long gid = parseLong(m.get(GID), defaultGid);
    long[] t = mtime(m.get(MTIME), info.lastModified());
    long[] at = m.containsKey(ATIME) ? mtime(m.get(ATIME), info.lastModified()) : t;
    long[] ct = m.containsKey(CTIME) ? mtime(m.get(CTIME), info.lastModified()) : t;
    long size = info.isDirectory() || Attr.isSpecialType(mode) ? 0 : info.size();
    long rdev = parseLong(m.get(RDEV), 0);
    long ino = parseLong(m.get(INO), 0);
    if (ino <= 1) {
      ino = inoOf(info.key().endsWith("/") ? info.key().substring(0, info.key().length() - 1) : info.key());
    }
    return new Attr(mode, uid, gid, size, t[0], (int) t[1], at[0], (int) at[1], ct[0], (int) ct[1], rdev, ino);
  }

  /** The inode number of an entry that has none stored: from its key (never 0 or 1, the root's). */
  static long inoOf(String key) {
    long h = 1125899906842597L;
    for (int i = 0; i < key.length(); i++) {
      h = 31 * h + key.charAt(i);
    }
    h = (h ^ (h >>> 29)) & Long.MAX_VALUE;
    return h <= 1 ? h + 2 : h;
  }

  /** A directory that exists only as a prefix of other keys (no marker). */
  public static Attr impliedDir(String key, long uid, long gid) {
    long now = Instant.now().getEpochSecond();
    return new Attr(Attr.S_IFDIR | 0755, uid, gid, 0, now, 0, now, 0, now, 0, 0, inoOf(key));
  }

  /** Metadata for a new object with the given mode and owner, modified, accessed and changed now. */
  public static Map<String, String> create(int mode, long uid, long gid) {
    Map<String, String> m = new HashMap<>();
    m.put(MODE, Integer.toString(mode));
    m.put(UID, Long.toString(uid));
    m.put(GID, Long.toString(gid));
    m.put(INO, Long.toString(2 + (java.util.concurrent.ThreadLocalRandom.current().nextLong() & (Long.MAX_VALUE >>> 1))));
    String now = formatTime(Instant.now());
    m.put(MTIME, now);
    m.put(ATIME, now);
    m.put(CTIME, now);
    return m;
  }

  /** Marks the status change time (ctime) of {@code m} as now; returns {@code m}. */
  static Map<String, String> changed(Map<String, String> m) {
    m.put(CTIME, formatTime(Instant.now()));
    return m;
  }

  public static String formatTime(Instant t) {
    return t.getEpochSecond() + "." + String.format("%09d", t.getNano());
  }

  public static String formatTime(long sec, long nanos) {
    return sec + "." + String.format("%09d", nanos);
  }

  /** {@code [seconds, nanos]} from "SEC.NANOS" (or "SEC"), else from the fallback. */
  static long[] mtime(String v, Instant fallback) {
    if (v != null) {
      try {
        int dot = v.indexOf('.');
        if (dot < 0) {
          return new long[] {Long.parseLong(v), 0};
        }
        String frac = (v.substring(dot + 1) + "000000000").substring(0, 9);
        return new long[] {Long.parseLong(v.substring(0, dot)), Long.parseLong(frac)};
      } catch (NumberFormatException e) {
        // fall through to the store's time: the value was written by another tool
      }
    }
    Instant t = fallback == null ? Instant.EPOCH : fallback;
    return new long[] {t.getEpochSecond(), t.getNano()};
  }

  /** The extended attributes kept in the metadata, name to value. */
  public static Map<String, byte[]> xattrs(Map<String, String> metadata) {
    String v = metadata.get(XATTRS);
    Map<String, byte[]> out = new TreeMap<>();
    if (v == null || v.isEmpty()) {
      return out;
    }
    try {
      Map<String, String> enc = JSON.readValue(v, new TypeReference<Map<String, String>>() {});
      enc.forEach((k, b64) -> out.put(k, Base64.getDecoder().decode(b64)));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return out;
    }
    return out;
  }

  /** A copy of {@code metadata} with its xattrs replaced. */
  public static Map<String, String> withXattrs(Map<String, String> metadata, Map<String, byte[]> xattrs) {
    Map<String, String> m = new HashMap<>(metadata);
    if (xattrs.isEmpty()) {
      m.remove(XATTRS);
      return m;
    }
    Map<String, String> enc = new TreeMap<>();
    xattrs.forEach((k, v) -> enc.put(k, Base64.getEncoder().encodeToString(v)));
    try {
      m.put(XATTRS, JSON.writeValueAsString(enc));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode xattrs", e);
    }
    return m;
  }

  /** Makes sure the metadata names the full mode (type bits), owner and time before a change. */
  static Map<String, String> withAttr(Map<String, String> m, Attr a) {
    m.putIfAbsent(MODE, Integer.toString(a.mode()));
    m.putIfAbsent(UID, Long.toString(a.uid()));
    m.putIfAbsent(GID, Long.toString(a.gid()));
    m.putIfAbsent(MTIME, formatTime(a.mtimeSec(), a.mtimeNanos()));
    m.putIfAbsent(ATIME, formatTime(a.atimeSec(), a.atimeNanos()));
    m.putIfAbsent(CTIME, formatTime(a.ctimeSec(), a.ctimeNanos()));
    if (a.ino() > 1) {
      m.putIfAbsent(INO, Long.toString(a.ino()));
    }
    return m;
  }

  static int parseInt(String v, int dflt) {
    try {
      return v == null ? dflt : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private static long parseLong(String v, long dflt) {
    try {
      return v == null ? dflt : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}

package org.streamfs.transfer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.streamfs.store.StoreKeys;

/**
 * Names of conflict copies, as Syncthing and Dropbox name theirs: {@code NAME.conflict-HOST-YYYYmmddTHHMMSS.EXT}
 * next to the file, the extension kept last so the copy opens with the same program ({@code report.txt} →
 * {@code report.conflict-laptop-20260105T143000.txt}; a name without extension, or a dot file, gets the suffix
 * at the end). The time is UTC; HOST is this machine's short host name reduced to letters, digits, {@code -}
 * and {@code _}. A second conflict in the same second adds {@code -2}, {@code -3}, ... after the time.
 */
public final class ConflictNames {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
      .withZone(ZoneOffset.UTC);
  private static final int MAX_HOST = 32;

  private ConflictNames() {}

  /** The conflict copy's key for {@code key} written on {@code host} at {@code when}; {@code n > 1} adds -n. */
  public static String copyKey(String key, String host, Instant when, int n) {
    int slash = key.lastIndexOf('/');
    String dir = key.substring(0, slash + 1);
    String name = key.substring(slash + 1);
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    String ext = dot > 0 ? name.substring(dot) : "";
    String tag = ".conflict-" + sanitize(host) + "-" + TIME.format(when) + (n > 1 ? "-" + n : "");
    // a name stays within the store's segment limit: the stem gives way, the tag and extension stay
    int room = StoreKeys.MAX_SEGMENT_BYTES - bytes(tag) - bytes(ext);
    if (room < 1) {
      ext = "";
      room = StoreKeys.MAX_SEGMENT_BYTES - bytes(tag);
    }
    while (bytes(stem) > room) {
      stem = stem.substring(0, stem.offsetByCodePoints(stem.length(), -1));
    }
    return dir + stem + tag + ext;
  }

  /** This machine's short host name (before the first dot), sanitised; "host" if it cannot be read. */
  public static String shortHost() {
    String h = System.getenv("HOSTNAME");
    if (h == null || h.isBlank()) {
      try {
        h = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
      } catch (IOException | RuntimeException e) {
        h = null;
      }
    }
    if (h == null || h.isBlank()) {
      try {
        h = java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        h = "host";
      }
    }
    int dot = h.indexOf('.');
    return sanitize(dot > 0 ? h.substring(0, dot) : h);
  }

  /** Letters, digits, '-' and '_' only (others become '_'), at most 32 characters, never empty. */
  static String sanitize(String host) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < host.length() && b.length() < MAX_HOST; i++) {
      char c = host.charAt(i);
      b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          ? c : '_');
    }
    return b.length() == 0 ? "host" : b.toString();
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}

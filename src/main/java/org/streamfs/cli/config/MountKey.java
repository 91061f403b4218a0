package org.streamfs.cli.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.streamfs.transfer.OnConflict;

/**
 * Every key a mount configuration may hold, with its parser and a one-line description. The key names are
 * the long names of the {@code streamfs mount} flags without the dashes ({@code chunk-size} is
 * {@code --chunk-size}); {@code options} is {@code -o}, and {@code mountpoint} is the positional argument. A
 * parser turns the text into the typed value or throws {@link IllegalArgumentException} with the reason.
 */
public enum MountKey {
  STORE("store", "store URI (file:///srv/store, s3://bucket/prefix, couchdb://host/db) or an absolute path",
      MountKey::store),
  MOUNTPOINT("mountpoint", "absolute path of the directory to mount on", MountKey::absolutePath),
  STATE_DIR("state-dir", "absolute path of the state directory (LMDB catalog, staging, cache); created 0700",
      MountKey::absolutePath),
  CHUNK_SIZE("chunk-size", "chunk size, 0 = chosen from the file size (e.g. 10M)",
      v -> Sizes.parse(v, 0, 5L << 30)),
  PARALLEL("parallel", "chunks uploaded or downloaded in parallel, 1-64", v -> intIn(v, 1, 64)),
  CACHE_MAX_SIZE("cache-max-size", "bound of the on-disk read cache (e.g. 2G)", Sizes::parse),
  MAX_DIRTY("max-dirty", "bound of staged bytes not yet in the store; writers wait beyond it (e.g. 1G)",
      v -> Sizes.parse(v, 1, Long.MAX_VALUE)),
  ALLOW_OTHER("allow-other", "let users other than the mounting one use the mount (true/false)",
      MountKey::bool),
  FOREGROUND("foreground", "stay in the foreground instead of daemonizing (true/false)", MountKey::bool),
  LOG_LEVEL("log-level", "error, warn, info, debug or trace", MountKey::logLevel),
  COMPRESS("compress", "compression level, 0 = off (zstd 1-22, deflate 1-9)", v -> intIn(v, 0, 22)),
  COMPRESS_CODEC("compress-codec", "zstd or deflate", MountKey::codec),
  ENCRYPT_KEY_FILE("encrypt-key-file", "absolute path of the key file (256-bit key or passphrase); "
      + "must not be readable by group or others", MountKey::absolutePath),
  STOP_TIMEOUT("stop-timeout", "on SIGTERM, how long to keep flushing uploads before unmounting (e.g. 4min)",
      Durations::parse),
  WRITE_BACK_DELAY("write-back-delay", "how long a closed file waits for a reopen that continues its session"
      + " before its upload completes; 0 = complete at every close (e.g. 1s)", Durations::parse),
  RETENTION_DAYS("retention-days", "days a failed upload's staged bytes (for streamfs recover) and the records"
      + " of ended uploads are kept, 0-3650", v -> intIn(v, 0, 3650)),
  ON_CONFLICT("on-conflict", "a write another writer beat to the file: copy (published next to it as"
      + " NAME.conflict-HOST-TIME.EXT, default) or fail (not published, kept for streamfs recover)",
      v -> OnConflict.parse(v)),
  OPTIONS("options", "extra FUSE mount options, comma-separated, as with -o (lines add up)",
      MountKey::fuseOptions);

  /** Parses the text of a value into its typed form. */
  @FunctionalInterface
  interface Parser {
    Object parse(String text);
  }

  private static final Pattern FUSE_OPTION = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*(=[^,\\s]+)?");
  private static final Pattern SCHEME = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://\\S+");

  private final String key;
  private final String description;
  private final Parser parser;

  MountKey(String key, String description, Parser parser) {
    this.key = key;
    this.description = description;
    this.parser = parser;
  }

  /** The name in the file and, with {@code --} in front, on the command line. */
  public String key() {
    return key;
  }

  public String description() {
    return description;
  }

  Object parse(String text) {
    return parser.parse(text);
  }

  /** The key with that name; also accepts {@code o} for {@code options} and ignores leading dashes. */
  public static Optional<MountKey> byName(String name) {
    String n = name.replaceFirst("^-+", "");
    if (n.equals("o")) {
      return Optional.of(OPTIONS);
    }
    return Arrays.stream(values()).filter(k -> k.key.equals(n)).findFirst();
  }

  /** All key names, for "known keys are ..." messages. */
  public static List<String> names() {
    return Arrays.stream(values()).map(MountKey::key).toList();
  }

  private static Object store(String v) {
    if (v.startsWith("/") || SCHEME.matcher(v).matches()) {
      return v;
    }
    throw new IllegalArgumentException("'" + v + "' is neither an absolute path nor a URI such as "
        + "file:///srv/store or s3://bucket/prefix");
  }

  private static Object absolutePath(String v) {
    if (!v.startsWith("/")) {
      throw new IllegalArgumentException("'" + v + "' is not an absolute path");
    }
    if (v.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("path contains a NUL byte");
    }
    return Path.of(v).normalize();
  }

  private static Object intIn(String v, int min, int max) {
    int n;
    try {
      n = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(n + " is out of range: must be between " + min + " and " + max);
    }
    return n;
  }

  private static Object bool(String v) {
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> Boolean.TRUE;
      case "false", "no", "off", "0" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("'" + v + "' is not a boolean: use true or false "
          + "(also yes/no, on/off, 1/0)");
    };
  }

  private static Object logLevel(String v) {
    String l = v.trim().toLowerCase(Locale.ROOT);
    if (!List.of("error", "warn", "info", "debug", "trace").contains(l)) {
      throw new IllegalArgumentException("'" + v + "' is not a log level: use error, warn, info, debug or trace");
    }
    return l;
  }

  private static Object codec(String v) {
    String c = v.trim().toLowerCase(Locale.ROOT);
    if (!c.equals("zstd") && !c.equals("deflate")) {
      throw new IllegalArgumentException("'" + v + "' is not a codec: use zstd or deflate");
    }
    return c;
  }

  private static Object fuseOptions(String v) {
    List<String> opts = Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (opts.isEmpty()) {
      throw new IllegalArgumentException("no option given");
    }
    for (String o : opts) {
      if (!FUSE_OPTION.matcher(o).matches()) {
        throw new IllegalArgumentException("'" + o + "' is not a mount option (name or name=value, "
            + "no spaces)");
      }
    }
    return opts;
  }
}

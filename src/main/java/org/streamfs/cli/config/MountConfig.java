package org.streamfs.cli.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import picocli.CommandLine;

/**
 * The options of one mount, read from a config file ({@code /etc/streamfs/NAME.conf}) and overridden by
 * command-line flags: {@code MountConfig.load(file).overriddenBy(flags).validate()}. Owns the file format
 * (documented in {@code systemd/example.conf}): UTF-8 lines of {@code key = value}; blank lines and lines whose
 * first non-blank character is {@code #} are ignored; no inline comments; a key may appear once, except
 * {@code options}, whose lines add up. Every value is parsed when it is read, so an unknown key or a bad value
 * is refused before anything is mounted, with the file, the line, the key and the reason. Immutable.
 */
public final class MountConfig {
  /** Default for {@code stop-timeout}: below the unit's TimeoutStopSec=5min, leaving a minute to unmount. */
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofMinutes(4);
  /** Default for {@code retention-days}, as {@code streamfs cleanup}'s. */
  public static final int DEFAULT_RETENTION_DAYS = 7;

  private record Value(String text, Object parsed, String origin) {}

  private record FuseOption(String option, String origin) {
    String name() {
      int eq = option.indexOf('=');
      return eq < 0 ? option : option.substring(0, eq);
    }
  }

  private final Map<MountKey, Value> values;
  private final List<FuseOption> options;

  private MountConfig(EnumMap<MountKey, Value> values, List<FuseOption> options) {
    this.values = Collections.unmodifiableMap(new EnumMap<>(values));
    this.options = List.copyOf(options);
  }

  /** A configuration with nothing set: what the mount command starts from when there is no file. */
  public static MountConfig empty() {
    return new MountConfig(new EnumMap<>(MountKey.class), List.of());
  }

  /** Reads and checks a config file; every problem names the file and line. */
  public static MountConfig load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), null, "cannot read config file: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses config text; {@code source} (a file name) prefixes every error. */
  public static MountConfig parse(String text, String source) throws ConfigException {
    EnumMap<MountKey, Value> values = new EnumMap<>(MountKey.class);
    List<FuseOption> options = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String origin = source + ":" + (i + 1);
      String line = lines[i].strip();
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1).strip();
      }
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new ConfigException(origin, null, "expected 'key = value', got '" + line + "'");
      }
      String name = line.substring(0, eq).strip();
      String text1 = line.substring(eq + 1).strip();
      MountKey key = MountKey.byName(name).filter(k -> k.key().equals(name))
          .orElseThrow(() -> new ConfigException(origin, name, "unknown key; known keys are "
              + String.join(", ", MountKey.names())));
      if (text1.isEmpty()) {
        throw new ConfigException(origin, name, "no value (delete the line to use the default)");
      }
      if (text1.matches(".*\\s#.*")) {
        throw new ConfigException(origin, name, "inline comments are not supported; put the comment on a "
            + "line of its own");
      }
      Object parsed = parseValue(key, text1, origin);
      if (key == MountKey.OPTIONS) {
        addOptions(options, parsed, origin);
      } else if (values.containsKey(key)) {
        throw new ConfigException(origin, name, "set twice (first at " + values.get(key).origin() + ")");
      } else {
        values.put(key, new Value(text1, parsed, origin));
      }
    }
    return new MountConfig(values, options);
  }

  /**
   * A copy where each flag replaces the file's value. Keys are flag names with or without dashes
   * ({@code "--chunk-size"}, {@code "parallel"}, {@code "o"}); a boolean flag given without a value is
   * {@code "true"}. {@code -o} options are added to the file's, and one with the same name replaces the file's.
   */
  public MountConfig overriddenBy(Map<String, String> flags) throws ConfigException {
    EnumMap<MountKey, Value> merged = new EnumMap<>(MountKey.class);
    merged.putAll(values);
    List<FuseOption> mergedOptions = new ArrayList<>(options);
    for (Map.Entry<String, String> flag : flags.entrySet()) {
      String origin = flag.getKey().startsWith("-") ? flag.getKey()
          : (flag.getKey().length() == 1 ? "-" : "--") + flag.getKey();
      MountKey key = MountKey.byName(flag.getKey()).orElseThrow(() -> new ConfigException(origin, null,
          "not a mount option; known options are " + String.join(", ", MountKey.names())));
      String text = flag.getValue() == null ? "true" : flag.getValue().strip();
      Object parsed = parseValue(key, text, origin);
      if (key == MountKey.OPTIONS) {
        @SuppressWarnings("unchecked")
        List<String> given = (List<String>) parsed;
        for (String o : given) {
          FuseOption fo = new FuseOption(o, origin);
          mergedOptions.removeIf(existing -> existing.name().equals(fo.name()));
          mergedOptions.add(fo);
        }
      } else {
        merged.put(key, new Value(text, parsed, origin));
      }
    }
    return new MountConfig(merged, mergedOptions);
  }

  /**
   * The flags the user actually typed, as a map for {@link #overriddenBy}: picocli's matched options whose
   * longest name is a {@link MountKey} (others, such as {@code --config}, are skipped), plus the positional
   * mount point when one was given. Repeated {@code -o} values are joined with commas.
   */
  public static Map<String, String> flagsFrom(CommandLine.ParseResult parsed) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (CommandLine.Model.OptionSpec o : parsed.matchedOptions()) {
      String name = o.longestName().replaceFirst("^-+", "");
      Optional<MountKey> key = MountKey.byName(name);
      if (key.isEmpty() || (!name.equals("o") && !name.equals(key.get().key()))) {
        continue;
      }
      List<String> raw = o.originalStringValues();
      if (o.typeInfo().isBoolean() || raw.isEmpty()) {
        Object v = o.getValue();
        flags.put(name, v == null ? "true" : v.toString());
      } else if (key.get() == MountKey.OPTIONS) {
        flags.put(name, String.join(",", raw));
      } else {
        flags.put(name, raw.get(raw.size() - 1));
      }
    }
    for (CommandLine.Model.PositionalParamSpec p : parsed.matchedPositionals()) {
      List<String> raw = p.originalStringValues();
      if (!raw.isEmpty() && p.paramLabel().equalsIgnoreCase("MOUNTPOINT")) {
        flags.put(MountKey.MOUNTPOINT.key(), raw.get(raw.size() - 1));
      }
    }
    return flags;
  }

  /**
   * Checks what needs the whole configuration or the file system: a mount point is given; deflate levels stop
   * at 9; max-dirty holds a chunk; the key file exists, is a regular file and is not readable by group or
   * others (like ssh, to keep a key from leaking through a loose mode). Returns this.
   */
  public MountConfig validate() throws ConfigException {
    if (!values.containsKey(MountKey.MOUNTPOINT)) {
      throw new ConfigException("configuration", MountKey.MOUNTPOINT.key(), "no mount point given "
          + "(a MOUNTPOINT argument or 'mountpoint = /path' in the config file)");
    }
    if (compressCodec().orElse("zstd").equals("deflate") && compress().orElse(0) > 9) {
      Value v = values.get(MountKey.COMPRESS);
      throw new ConfigException(v.origin(), MountKey.COMPRESS.key(), "deflate levels are 1-9, got " + v.text());
    }
    if (chunkSize().orElse(0) > 0 && maxDirty().isPresent() && maxDirty().getAsLong() < chunkSize().getAsLong()) {
      Value v = values.get(MountKey.MAX_DIRTY);
      throw new ConfigException(v.origin(), MountKey.MAX_DIRTY.key(), "must hold at least one chunk ("
          + Sizes.format(chunkSize().getAsLong()) + "), got " + v.text());
    }
    Optional<Path> key = encryptKeyFile();
    if (key.isPresent()) {
      checkKeyFile(key.get(), values.get(MountKey.ENCRYPT_KEY_FILE).origin());
    }
    Optional<Path> state = stateDir();
    if (state.isPresent() && Files.exists(state.get()) && !Files.isDirectory(state.get())) {
      throw new ConfigException(values.get(MountKey.STATE_DIR).origin(), MountKey.STATE_DIR.key(),
          state.get() + " exists and is not a directory");
    }
    return this;
  }

  private static void checkKeyFile(Path file, String origin) throws ConfigException {
    String k = MountKey.ENCRYPT_KEY_FILE.key();
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(origin, k, file + " does not exist or is not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw new ConfigException(origin, k, file + " is not readable by this user");
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
        throw new ConfigException(origin, k, file + " is readable by group or others; chmod 600 it");
      }
    } catch (UnsupportedOperationException | IOException e) {
      throw new ConfigException(origin, k, "cannot check the mode of " + file + ": " + e.getMessage());
    }
  }

  private static Object parseValue(MountKey key, String text, String origin) throws ConfigException {
    try {
      return key.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(origin, key.key(), e.getMessage());
    }
  }

  private static void addOptions(List<FuseOption> into, Object parsed, String origin) {
    @SuppressWarnings("unchecked")
    List<String> list = (List<String>) parsed;
    for (String o : list) {
      into.add(new FuseOption(o, origin));
    }
  }

  private <T> Optional<T> get(MountKey key, Class<T> type) {
    Value v = values.get(key);
    return v == null ? Optional.empty() : Optional.of(type.cast(v.parsed()));
  }

  public Optional<String> store() {
    return get(MountKey.STORE, String.class);
  }

  public Optional<Path> mountpoint() {
    return get(MountKey.MOUNTPOINT, Path.class);
  }

  public Optional<Path> stateDir() {
    return get(MountKey.STATE_DIR, Path.class);
  }

  public OptionalLong chunkSize() {
    return get(MountKey.CHUNK_SIZE, Long.class).map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  public OptionalInt parallel() {
    return get(MountKey.PARALLEL, Integer.class).map(OptionalInt::of).orElse(OptionalInt.empty());
  }

  public OptionalLong cacheMaxSize() {
    return get(MountKey.CACHE_MAX_SIZE, Long.class).map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  public OptionalLong maxDirty() {
    return get(MountKey.MAX_DIRTY, Long.class).map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  /** True when {@code allow-other = true} or {@code allow_other} is among the FUSE options. */
  public boolean allowOther() {
    return get(MountKey.ALLOW_OTHER, Boolean.class).orElse(false)
        || options.stream().anyMatch(o -> o.name().equals("allow_other"));
  }

  public boolean foreground() {
    return get(MountKey.FOREGROUND, Boolean.class).orElse(false);
  }

  public Optional<String> logLevel() {
    return get(MountKey.LOG_LEVEL, String.class);
  }

  public OptionalInt compress() {
    return get(MountKey.COMPRESS, Integer.class).map(OptionalInt::of).orElse(OptionalInt.empty());
  }

  public Optional<String> compressCodec() {
    return get(MountKey.COMPRESS_CODEC, String.class);
  }

  public Optional<Path> encryptKeyFile() {
    return get(MountKey.ENCRYPT_KEY_FILE, Path.class);
  }

  /** What a write another writer beat to the file becomes (default: a conflict copy). */
  public org.streamfs.transfer.OnConflict onConflict() {
    return get(MountKey.ON_CONFLICT, org.streamfs.transfer.OnConflict.class)
        .orElse(org.streamfs.transfer.OnConflict.COPY);
  }

  public int retentionDays() {
    return get(MountKey.RETENTION_DAYS, Integer.class).orElse(DEFAULT_RETENTION_DAYS);
  }

  /** Default for {@code write-back-delay}: rewrites within a second coalesce; a close reaches the store soon. */
  public static final Duration DEFAULT_WRITE_BACK_DELAY = Duration.ofSeconds(1);

  public Duration writeBackDelay() {
    return get(MountKey.WRITE_BACK_DELAY, Duration.class).orElse(DEFAULT_WRITE_BACK_DELAY);
  }

  public Duration stopTimeout() {
    return get(MountKey.STOP_TIMEOUT, Duration.class).orElse(DEFAULT_STOP_TIMEOUT);
  }

  /** The extra FUSE options in order ({@code -o} ones after the file's), e.g. {@code [allow_other, ro]}. */
  public List<String> fuseOptions() {
    return options.stream().map(FuseOption::option).toList();
  }

  /** Whether a key was set at all (by the file or a flag). */
  public boolean isSet(MountKey key) {
    return key == MountKey.OPTIONS ? !options.isEmpty() : values.containsKey(key);
  }

  /** Where a key's value came from ({@code file:line} or the flag), for messages. */
  public Optional<String> originOf(MountKey key) {
    return Optional.ofNullable(values.get(key)).map(Value::origin);
  }

  /** The values as text, in key order; the options joined by commas. For logs and {@code --show-config}. */
  public Map<String, String> asText() {
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach((k, v) -> out.put(k.key(), v.text()));
    if (!options.isEmpty()) {
      out.put(MountKey.OPTIONS.key(), String.join(",", fuseOptions()));
    }
    return out;
  }
}

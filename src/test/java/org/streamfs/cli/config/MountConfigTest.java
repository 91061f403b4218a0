package org.streamfs.cli.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

class MountConfigTest {
  private static final Path EXAMPLE = Path.of("systemd/example.conf");

  @TempDir Path tmp;

  @Test
  void theExampleFileParsesAndDocumentsEveryKey() throws Exception {
    MountConfig c = MountConfig.load(EXAMPLE).validate();
    assertEquals(org.streamfs.transfer.OnConflict.COPY, c.onConflict(), "the default");
    assertEquals("file:///srv/streamfs-store", c.store().orElseThrow());
    assertEquals(Path.of("/mnt/docs"), c.mountpoint().orElseThrow());
    assertEquals(Path.of("/var/lib/streamfs/docs"), c.stateDir().orElseThrow());
    assertEquals(10L << 20, c.chunkSize().getAsLong());
    assertEquals(4, c.parallel().getAsInt());
    assertEquals(2L << 30, c.cacheMaxSize().getAsLong());
    assertEquals(1L << 30, c.maxDirty().getAsLong());
    assertFalse(c.allowOther());
    assertEquals("info", c.logLevel().orElseThrow());
    assertEquals(0, c.compress().getAsInt());
    assertEquals(Duration.ofMinutes(4), c.stopTimeout());
    String text = Files.readString(EXAMPLE);
    for (String key : MountKey.names()) {
      assertTrue(text.matches("(?s).*\\n#?" + key + " = .*"), "example.conf does not show key " + key);
    }
  }

  @Test
  void unknownKeyIsRefusedWithFileLineAndTheKnownKeys() throws Exception {
    Path f = write("# a mount\n\nstore = /srv/s\nchunksize = 10M\n");
    ConfigException e = assertThrows(ConfigException.class, () -> MountConfig.load(f));
    assertEquals(f + ":4", e.origin());
    assertEquals("chunksize", e.key());
    assertTrue(e.getMessage().startsWith(f + ":4: key 'chunksize': unknown key; known keys are store, "),
        e.getMessage());
    assertTrue(e.getMessage().contains("chunk-size"), e.getMessage());
  }

  @Test
  void badValuesAreRefusedWithTheReason() {
    assertError("parallel = 0", "x.conf:1: key 'parallel': 0 is out of range: must be between 1 and 64");
    assertError("on-conflict = merge", "x.conf:1: key 'on-conflict': on-conflict must be copy or fail, not"
        + " 'merge'");
    assertError("parallel = four", "x.conf:1: key 'parallel': 'four' is not a whole number");
    assertError("chunk-size = 10Q", "x.conf:1: key 'chunk-size': '10Q' is not a size: expected a size such as "
        + "4096, 512K, 10M, 1.5G or 2T (powers of 1024)");
    assertError("chunk-size = 6G", "x.conf:1: key 'chunk-size': '6G' is out of range: must be between 0 and 5G");
    assertError("\n\nallow-other = maybe", "x.conf:3: key 'allow-other': 'maybe' is not a boolean: use true or "
        + "false (also yes/no, on/off, 1/0)");
    assertError("mountpoint = mnt/docs", "x.conf:1: key 'mountpoint': 'mnt/docs' is not an absolute path");
    assertError("store = bucket", "x.conf:1: key 'store': 'bucket' is neither an absolute path nor a URI such as "
        + "file:///srv/store or s3://bucket/prefix");
    assertError("log-level = verbose", "x.conf:1: key 'log-level': 'verbose' is not a log level: use error, warn, "
        + "info, debug or trace");
    assertError("compress-codec = lz4", "x.conf:1: key 'compress-codec': 'lz4' is not a codec: use zstd or deflate");
    assertError("stop-timeout = soon", "x.conf:1: key 'stop-timeout': 'soon' is not a duration: expected a "
        + "duration such as 500ms, 90s, 5min, 2h or 1d");
    assertError("options = allow other", "x.conf:1: key 'options': 'allow other' is not a mount option (name or "
        + "name=value, no spaces)");
  }

  @Test
  void syntaxMistakesAreRefused() {
    assertError("parallel 4", "x.conf:1: expected 'key = value', got 'parallel 4'");
    assertError("parallel =", "x.conf:1: key 'parallel': no value (delete the line to use the default)");
    assertError("parallel = 4   # four", "x.conf:1: key 'parallel': inline comments are not supported; put the "
        + "comment on a line of its own");
    assertError("parallel = 4\r\n# again\r\nparallel = 8", "x.conf:3: key 'parallel': set twice (first at x.conf:1)");
    assertError("--parallel = 4", "x.conf:1: key '--parallel': unknown key; known keys are " + String.join(", ",
        MountKey.names()));
  }

  @Test
  void optionLinesAddUpAndCrLfAndBomAreFine() throws Exception {
    MountConfig c = MountConfig.parse("\uFEFFoptions = ro,default_permissions\r\noptions = max_read=131072\r\n",
        "x.conf");
    assertEquals(List.of("ro", "default_permissions", "max_read=131072"), c.fuseOptions());
    assertTrue(MountConfig.parse("options = allow_other", "x").allowOther());
  }

  @Test
  void flagsOverrideTheFileAndOptionsMerge() throws Exception {
    MountConfig file = MountConfig.parse("store = /srv/a\nparallel = 4\nmountpoint = /mnt/a\n"
        + "options = ro,max_read=65536\n", "x.conf");
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("--parallel", "8");
    flags.put("o", "max_read=131072,noatime");
    flags.put("foreground", null);
    MountConfig c = file.overriddenBy(flags);
    assertEquals(8, c.parallel().getAsInt());
    assertEquals("/srv/a", c.store().orElseThrow());
    assertTrue(c.foreground());
    assertEquals(List.of("ro", "max_read=131072", "noatime"), c.fuseOptions());
    assertEquals("--parallel", c.originOf(MountKey.PARALLEL).orElseThrow());
    assertEquals("x.conf:1", c.originOf(MountKey.STORE).orElseThrow());
    assertEquals(4, file.parallel().getAsInt(), "the original is unchanged");

    ConfigException bad = assertThrows(ConfigException.class, () -> file.overriddenBy(Map.of("--parallel", "x")));
    assertEquals("--parallel: key 'parallel': 'x' is not a whole number", bad.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class, () -> file.overriddenBy(Map.of("--frob", "1")));
    assertTrue(unknown.getMessage().startsWith("--frob: not a mount option"), unknown.getMessage());
  }

  @Test
  void validateNeedsAMountpointAndChecksCrossValues() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> MountConfig.parse("store = /srv/a", "x.conf").validate());
    assertEquals("mountpoint", e.key());
    ConfigException deflate = assertThrows(ConfigException.class, () -> MountConfig.parse(
        "mountpoint = /m\ncompress = 12\ncompress-codec = deflate", "x.conf").validate());
    assertEquals("x.conf:2: key 'compress': deflate levels are 1-9, got 12", deflate.getMessage());
    ConfigException dirty = assertThrows(ConfigException.class, () -> MountConfig.parse(
        "mountpoint = /m\nchunk-size = 64M\nmax-dirty = 10M", "x.conf").validate());
    assertEquals("x.conf:3: key 'max-dirty': must hold at least one chunk (64M), got 10M", dirty.getMessage());
    MountConfig.parse("mountpoint = /m\ncompress = 12", "x.conf").validate();
  }

  @Test
  void keyFileMustExistAndBePrivate() throws Exception {
    Path key = tmp.resolve("k.key");
    String conf = "mountpoint = /m\nencrypt-key-file = " + key + "\n";
    ConfigException missing = assertThrows(ConfigException.class, () -> MountConfig.parse(conf, "x").validate());
    assertEquals("x:2: key 'encrypt-key-file': " + key + " does not exist or is not a regular file",
        missing.getMessage());
    Files.writeString(key, "correct horse battery staple");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    ConfigException loose = assertThrows(ConfigException.class, () -> MountConfig.parse(conf, "x").validate());
    assertEquals("x:2: key 'encrypt-key-file': " + key + " is readable by group or others; chmod 600 it",
        loose.getMessage());
    assertFalse(loose.getMessage().contains("horse"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    assertEquals(key, MountConfig.parse(conf, "x").validate().encryptKeyFile().orElseThrow());
  }

  @Test
  void unreadableFileIsReportedByName() {
    ConfigException e = assertThrows(ConfigException.class, () -> MountConfig.load(tmp.resolve("nope.conf")));
    assertTrue(e.getMessage().startsWith(tmp.resolve("nope.conf") + ": cannot read config file"), e.getMessage());
    assertNull(e.key());
  }

  @Command(name = "mount")
  static final class FakeMountCommand {
    @Option(names = "--config") Path config;
    @Option(names = "--store") String store;
    @Option(names = "--parallel") Integer parallel;
    @Option(names = "--chunk-size") String chunkSize;
    @Option(names = "--foreground") boolean foreground;
    @Option(names = "-o") List<String> options;
    @Parameters(paramLabel = "MOUNTPOINT", arity = "0..1") Path mountpoint;
  }

  @Test
  void flagsFromPicocliTakesOnlyWhatWasTyped() throws Exception {
    CommandLine.ParseResult pr = new CommandLine(new FakeMountCommand()).parseArgs(
        "--config", "/etc/streamfs/a.conf", "--parallel", "8", "--foreground", "-o", "ro", "-o", "noatime",
        "/mnt/b");
    Map<String, String> flags = MountConfig.flagsFrom(pr);
    assertEquals(Map.of("parallel", "8", "foreground", "true", "o", "ro,noatime", "mountpoint", "/mnt/b"), flags);
    MountConfig c = MountConfig.parse("mountpoint = /mnt/a\nparallel = 2\nchunk-size = 1M", "a.conf")
        .overriddenBy(flags);
    assertEquals(Path.of("/mnt/b"), c.mountpoint().orElseThrow());
    assertEquals(8, c.parallel().getAsInt());
    assertEquals(1L << 20, c.chunkSize().getAsLong());
  }

  private static void assertError(String text, String message) {
    ConfigException e = assertThrows(ConfigException.class, () -> MountConfig.parse(text, "x.conf"));
    assertEquals(message, e.getMessage());
  }

  private Path write(String text) throws Exception {
    Path f = tmp.resolve("m.conf");
    Files.writeString(f, text);
    return f;
  }
}

package org.streamfs.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real pouchdb-server 4.2.0 (CouchDB HTTP API, LevelDB on disk) for tests: started with the node binary
 * directly (so the PID we hold is the server's), on a free port of 127.0.0.1, with its data in a temporary
 * directory; ready when {@code GET /} answers while the process is alive; stopped by PID. It can be
 * restarted on the same port and data (fault tests). The install is found in {@code STREAMFS_POUCHDB_HOME}
 * (default {@code /var/cache/streamfs-ci/pouchdb}, where {@code .ci/setup.d/30-pouchdb.sh} puts it);
 * {@link #available()} tells tests to skip when it is absent.
 */
public final class PouchDbServer implements AutoCloseable {
  public static final String DEFAULT_HOME = "/var/cache/streamfs-ci/pouchdb";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path dataDir;
  private final List<String> extraArgs;
  private final int port;
  private Process process;

  private PouchDbServer(Path dataDir, int port, List<String> extraArgs) {
    this.dataDir = dataDir;
    this.port = port;
    this.extraArgs = extraArgs;
  }

  /** The pouchdb-server install directory (holding node_modules/pouchdb-server). */
  public static Path home() {
    String env = System.getenv("STREAMFS_POUCHDB_HOME");
    return Path.of(env == null || env.isBlank() ? DEFAULT_HOME : env);
  }

  private static Path script() {
    return home().resolve("node_modules/pouchdb-server/bin/pouchdb-server");
  }

  /** True when node and pouchdb-server are installed. */
  public static boolean available() {
    return Files.isRegularFile(script()) && node() != null;
  }

  private static String node() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/local/bin").split(":")) {
      Path p = Path.of(dir, "node");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /** Starts a server with a fresh data directory. */
  public static PouchDbServer start() throws IOException {
    return start(List.of());
  }

  /** Starts a server with extra pouchdb-server arguments. */
  public static PouchDbServer start(List<String> extraArgs) throws IOException {
    Path dir = Files.createTempDirectory("streamfs-pouchdb-");
    PouchDbServer s = new PouchDbServer(dir, freePort(), extraArgs);
    s.launch();
    return s;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** {@code http://127.0.0.1:port/}. */
  public String url() {
    return "http://127.0.0.1:" + port + "/";
  }

  /** The store URI of database {@code db} on this server. */
  public URI storeUri(String db) {
    return URI.create("couchdb://127.0.0.1:" + port + "/" + db);
  }

  public boolean running() {
    return process != null && process.isAlive();
  }

  /** Kills the server (SIGKILL, by PID) and waits for it to be gone. */
  public void kill() throws IOException {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        throw new IOException("pouchdb-server pid " + process.pid() + " did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping pouchdb-server", e);
    }
    process = null;
  }

  /** Starts the server again on the same port and data directory. */
  public void restart() throws IOException {
    kill();
    launch();
  }

  private void launch() throws IOException {
    String node = node();
    if (node == null || !Files.isRegularFile(script())) {
      throw new IOException("pouchdb-server not installed in " + home() + " (run .ci/setup.d/30-pouchdb.sh or"
          + " set STREAMFS_POUCHDB_HOME)");
    }
    List<String> cmd = new ArrayList<>(List.of(node, script().toString(), "--host", "127.0.0.1", "--port",
        Integer.toString(port), "--dir", dataDir.toString(), "--config",
        dataDir.resolve("config.json").toString(), "--no-color"));
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dataDir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("server.log").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("pouchdb-server exited with " + process.exitValue() + " during start; log:\n"
            + log());
      }
      if (answers()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting pouchdb-server", e);
      }
    }
    kill();
    throw new IOException("pouchdb-server did not answer on port " + port + " within " + START_TIMEOUT);
  }

  private boolean answers() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url()).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode() == 200
            && new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("pouchdb");
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  /** The server's log so far. */
  public String log() {
    try {
      return Files.readString(dataDir.resolve("server.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Stops the server and deletes its data directory. */
  @Override
  public void close() throws IOException {
    kill();
    try (Stream<Path> walk = Files.walk(dataDir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

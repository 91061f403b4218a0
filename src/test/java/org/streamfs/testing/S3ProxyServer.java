package org.streamfs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real S3 server for tests: S3Proxy 4.1.0 (runnable jar, provider filesystem-nio2, SigV4 with the test
 * credentials {@link #ACCESS_KEY}/{@link #SECRET_KEY}) in a child JVM bound to 127.0.0.1 on a free port,
 * data in a temp dir. Ready when {@code GET /healthz} answers 200 while the child is alive; stopped, killed
 * (SIGKILL, to simulate a crash) and restarted on the same port and data by its own PID. The jar is found via
 * the {@code s3proxy.jar} system property (set by the pom for failsafe), else in target/s3proxy, else in
 * ~/.m2. {@link #shared()} is one server per test JVM, stopped at exit. Credentials reach the store through
 * the {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties (part of the default AWS chain),
 * never through a command line.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "streamfs-test";
  public static final String SECRET_KEY = "streamfs-test-secret";
  private static final String VERSION = "4.1.0";
  private static S3ProxyServer shared;

  private final Path dir;
  private final int port;
  private Process process;

  private S3ProxyServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Starts a new server on a free port with an empty data dir. */
  public static S3ProxyServer start() throws IOException {
    Path dir = Files.createTempDirectory("s3proxy-");
    Files.createDirectories(dir.resolve("data"));
    S3ProxyServer s = new S3ProxyServer(dir, freePort());
    Files.writeString(dir.resolve("s3proxy.conf"), String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + s.port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=filesystem-nio2",
        "jclouds.filesystem.basedir=" + dir.resolve("data"), ""));
    s.launch();
    return s;
  }

  /** One server for the whole test JVM (stopped by a shutdown hook); also sets the credential properties. */
  public static synchronized S3ProxyServer shared() throws IOException {
    if (shared == null) {
      useTestCredentials();
      shared = start();
      S3ProxyServer s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "s3proxy-stop"));
    }
    return shared;
  }

  /** Puts the test credentials where the default AWS credentials chain looks first (system properties). */
  public static void useTestCredentials() {
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
  }

  public int port() {
    return port;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The store URI of {@code bucket/prefix} on this server. */
  public URI storeUri(String bucket, String prefix) {
    return URI.create("s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint() + "&region=us-east-1");
  }

  /** Where S3Proxy keeps the bucket's files. */
  public Path dataDir() {
    return dir.resolve("data");
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  private void launch() throws IOException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC",
        "-jar", jar().toString(), "--properties", dir.resolve("s3proxy.conf").toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("s3proxy.log").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("S3Proxy exited with " + process.exitValue() + " before it was ready; log:\n"
            + tail());
      }
      if (healthy()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for S3Proxy", e);
      }
    }
    process.destroyForcibly();
    throw new IOException("S3Proxy not ready on port " + port + " within 90 s; log:\n" + tail());
  }

  private boolean healthy() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/healthz").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode() == 200;
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  private String tail() {
    try {
      String log = Files.readString(dir.resolve("s3proxy.log"));
      return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGKILL, as a crash: no clean shutdown of S3Proxy. */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor();
    }
  }

  /** Starts it again on the same port and data (after {@link #kill} or {@link #stop}). */
  public void restart() throws IOException {
    if (alive()) {
      throw new IllegalStateException("S3Proxy still running");
    }
    launch();
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  public void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      waitFor();
    }
  }

  private void waitFor() {
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the server and deletes its data dir. */
  @Override
  public void close() {
    stop();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort: a temp dir
    }
  }

  private static Path jar() throws IOException {
    String name = "s3proxy-" + VERSION + "-jar-with-dependencies.jar";
    String prop = System.getProperty("s3proxy.jar");
    Path[] candidates = {
        prop == null ? null : Paths.get(prop),
        Paths.get("target", "s3proxy", name),
        Paths.get(System.getProperty("user.home"), ".m2", "repository", "org", "gaul", "s3proxy", VERSION, name)};
    for (Path p : candidates) {
      if (p != null && Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IOException("S3Proxy jar not found (looked at -Ds3proxy.jar, target/s3proxy/" + name
        + ", ~/.m2); run `mvn verify` (the pom copies it before the integration tests) or "
        + "`mvn dependency:get -Dartifact=org.gaul:s3proxy:" + VERSION + ":jar:jar-with-dependencies`");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}

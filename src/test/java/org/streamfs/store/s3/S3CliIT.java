package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.testing.S3ProxyServer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The {@code streamfs} CLI (the shaded jar, in a child JVM) against S3Proxy: put and get through an
 * {@code s3://} store URI with credentials in the child's environment (never its arguments), and one clear
 * error with exit code 6 for a wrong secret, a missing bucket and an unreachable endpoint.
 */
class S3CliIT {
  private static final int MIB = 1 << 20;
  private static S3ProxyServer server;
  private static String bucket;

  record Run(int exit, String out, String err, long millis) {}

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.shared();
    bucket = S3TestSupport.bucketName("cli");
    S3TestSupport.createBucket(server.endpoint(), bucket);
  }

  private static Path jar() {
    Path p = Paths.get(System.getProperty("streamfs.jar", "target/streamfs-all.jar")).toAbsolutePath();
    assertTrue(Files.isRegularFile(p), "the shaded jar is missing (run mvn package first): " + p);
    return p;
  }

  private static Run streamfs(Path tmp, String secret, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx256m", "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_"));
    env.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", secret);
    env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString());
    env.put("AWS_CONFIG_FILE", tmp.resolve("no-config").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("streamfs " + String.join(" ", args) + " hung");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err),
        (System.nanoTime() - t0) / 1_000_000);
  }

  @Test
  void putAndGetThroughAnS3StoreUri(@TempDir Path tmp) throws Exception {
    byte[] data = S3TestSupport.random(12 * MIB + 3, 41);
    Path src = tmp.resolve("src.bin");
    Files.write(src, data);
    String store = server.storeUri(bucket, "cli/").toString();
    Run put = streamfs(tmp, S3ProxyServer.SECRET_KEY, "put", "--store", store, "--state-dir",
        tmp.resolve("state").toString(), "--chunk-size", "5M", "-q", src.toString(), "docs/src.bin");
    assertEquals(0, put.exit(), put.err());
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      assertEquals(data.length, raw.headObject(b -> b.bucket(bucket).key("cli/docs/src.bin")).contentLength());
    }
    Path back = tmp.resolve("back.bin");
    Run get = streamfs(tmp, S3ProxyServer.SECRET_KEY, "get", "--store", store, "--state-dir",
        tmp.resolve("state").toString(), "-q", "docs/src.bin", back.toString());
    assertEquals(0, get.exit(), get.err());
    assertArrayEquals(data, Files.readAllBytes(back));
  }

  @Test
  void wrongSecretMissingBucketAndUnreachableEndpointAreOneClearError(@TempDir Path tmp) throws Exception {
    Path src = tmp.resolve("f");
    Files.write(src, "x".getBytes(StandardCharsets.UTF_8));
    String state = tmp.resolve("state").toString();

    Run wrong = streamfs(tmp, "not-the-secret", "put", "--store", server.storeUri(bucket, "cli/").toString(),
        "--state-dir", state, "-q", src.toString(), "f");
    assertEquals(6, wrong.exit(), wrong.err());
    assertTrue(wrong.err().contains("wrong secret key"), wrong.err());
    assertFalse(wrong.err().contains("not-the-secret"), "the secret must not be printed: " + wrong.err());

    Run missing = streamfs(tmp, S3ProxyServer.SECRET_KEY, "put", "--store",
        server.storeUri("no-such-bucket-cli", "").toString(), "--state-dir", state, "-q", src.toString(), "f");
    assertTrue(missing.exit() == 6 || missing.exit() == 3, missing.exit() + " " + missing.err());
    assertTrue(missing.err().contains("bucket 'no-such-bucket-cli' does not exist"), missing.err());

    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run down = streamfs(tmp, S3ProxyServer.SECRET_KEY, "put", "--store",
        "s3://" + bucket + "/?endpoint=http://127.0.0.1:" + closed, "--state-dir", state, "-q", src.toString(),
        "f");
    assertEquals(6, down.exit(), down.err());
    assertTrue(down.err().contains("cannot reach"), down.err());
    assertTrue(down.millis() < 30_000, "took " + down.millis() + " ms");
    for (Run r : List.of(wrong, missing, down)) {
      long lines = r.err().lines().filter(l -> !l.isBlank()).count();
      assertTrue(lines <= 3, "one clear error, not a stack trace:\n" + r.err());
    }
  }
}

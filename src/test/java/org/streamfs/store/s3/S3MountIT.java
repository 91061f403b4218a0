package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.testing.S3ProxyServer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real streamfs mount (child JVM, kernel FUSE) of an {@code s3://} store on S3Proxy, checked from the
 * bucket's side with a plain SDK client: a file copied in becomes one plain object, a fresh mount reads it
 * back, objects written by another tool show up and read, directories are {@code dir/} markers, rename and
 * delete reach the bucket, and an upload survives S3Proxy being killed and restarted after close. Skipped
 * without the shaded jar, /dev/fuse or libfuse2. Credentials reach the daemon through its environment.
 */
class S3MountIT {
  private static final int MIB = 1 << 20;
  private static S3ProxyServer server;
  private static String bucket;

  @BeforeAll
  static void start() throws Exception {
    S3ProxyServer.useTestCredentials();
    server = S3ProxyServer.start(); // own server: one test kills it
    bucket = S3TestSupport.bucketName("mount");
    S3TestSupport.createBucket(server.endpoint(), bucket);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** One mount daemon started by this test (and only that one is ever killed). */
  private static final class Mount implements AutoCloseable {
    final Path mnt;
    final Path state;
    final Process process;

    Mount(Path root, String name) throws Exception {
      String jar = Paths.get(System.getProperty("streamfs.jar", "target/streamfs-all.jar")).toAbsolutePath()
          .toString();
      assumeTrue(Files.isRegularFile(Path.of(jar)), "shaded jar missing: " + jar);
      assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse missing");
      assumeTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libfuse.so.2"))
          || Files.exists(Path.of("/lib/x86_64-linux-gnu/libfuse.so.2")), "libfuse2 missing");
      mnt = Files.createDirectories(root.resolve(name + "-mnt"));
      state = Files.createDirectories(root.resolve(name + "-state"));
      List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
          .toString(), "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar, "mount", "--foreground", "--store",
          "s3://" + bucket + "/m/?endpoint=" + server.endpoint() + "&region=us-east-1", "--state-dir",
          state.toString(), "--chunk-size", "5M", mnt.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve(name + ".log").toFile()));
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("AWS_"));
      env.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
      env.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
      env.put("AWS_EC2_METADATA_DISABLED", "true");
      process = pb.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!answers()) {
        assertTrue(process.isAlive(), "daemon exited: " + Files.readString(root.resolve(name + ".log")));
        assertTrue(System.nanoTime() < deadline, "mount did not appear");
        Thread.sleep(50);
      }
    }

    boolean answers() {
      try {
        return Files.getFileAttributeView(mnt, UserDefinedFileAttributeView.class).size("streamfs.statedir") > 0;
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }

    @Override
    public void close() throws Exception {
      new ProcessBuilder("fusermount3", "-u", mnt.toString()).start().waitFor(30, TimeUnit.SECONDS);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static long remoteSize(S3Client raw, String key) {
    try {
      return raw.headObject(b -> b.bucket(bucket).key(key)).contentLength();
    } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
      return -1;
    }
  }

  private static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(100);
    }
  }

  private static byte[] remote(S3Client raw, String key) {
    return raw.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
  }

  @Test
  void filesAndDirectoriesThroughTheMountArePlainObjectsInTheBucket(@TempDir Path tmp) throws Exception {
    byte[] data = S3TestSupport.random(12 * MIB + 5, 51);
    byte[] foreign = "put by another tool\n".getBytes(StandardCharsets.UTF_8);
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      try (Mount m = new Mount(tmp, "a")) {
        Files.createDirectory(m.mnt.resolve("docs"));
        Files.write(m.mnt.resolve("docs/a.bin"), data);
        await("docs/a.bin complete in the bucket", 180, () -> remoteSize(raw, "m/docs/a.bin") == data.length);
        assertArrayEquals(data, remote(raw, "m/docs/a.bin"));
        await("the docs/ marker", 60, () -> remoteSize(raw, "m/docs/") == 0);
        raw.putObject(b -> b.bucket(bucket).key("m/foreign/x.txt"), RequestBody.fromBytes(foreign));
      }
      try (Mount m = new Mount(tmp, "b")) { // fresh state: nothing cached locally
        assertArrayEquals(data, Files.readAllBytes(m.mnt.resolve("docs/a.bin")));
        List<String> top;
        try (var s = Files.list(m.mnt)) {
          top = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("docs", "foreign"), top);
        assertTrue(Files.isDirectory(m.mnt.resolve("foreign")));
        assertArrayEquals(foreign, Files.readAllBytes(m.mnt.resolve("foreign/x.txt")));
        Files.move(m.mnt.resolve("docs/a.bin"), m.mnt.resolve("docs/b.bin"));
        await("rename in the bucket", 120,
            () -> remoteSize(raw, "m/docs/b.bin") == data.length && remoteSize(raw, "m/docs/a.bin") < 0);
        assertArrayEquals(data, remote(raw, "m/docs/b.bin"));
        Files.delete(m.mnt.resolve("docs/b.bin"));
        await("delete in the bucket", 60, () -> remoteSize(raw, "m/docs/b.bin") < 0);
        assertFalse(Files.exists(m.mnt.resolve("docs/b.bin")));
      }
    }
  }

  private static String xattr(Path p, String name) throws IOException {
    UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.size(name));
    v.read(name, b);
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  private static void sync(Mount m) throws Exception {
    String jar = Paths.get(System.getProperty("streamfs.jar", "target/streamfs-all.jar")).toAbsolutePath()
        .toString();
    Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        jar, "sync", m.mnt.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, TimeUnit.SECONDS) && p.exitValue() == 0, "sync: " + out);
  }

  @Test
  void twoMountsOfOneBucketVerifyEachOtherAndNeverLoseAWrite(@TempDir Path tmp) throws Exception {
    byte[] data = S3TestSupport.random(11 * MIB + 3, 61);
    try (Mount a = new Mount(tmp, "two-a"); Mount b = new Mount(tmp, "two-b")) {
      // what one machine writes, the other reads verified against the manifest stored beside it
      Files.write(a.mnt.resolve("shared.bin"), data);
      sync(a);
      await("shared.bin in the other mount", 30, () -> Files.exists(b.mnt.resolve("shared.bin")));
      assertArrayEquals(data, Files.readAllBytes(b.mnt.resolve("shared.bin")));
      assertEquals("yes", xattr(b.mnt.resolve("shared.bin"), "streamfs.verified"));
      // both open x.txt, both write, both close: neither write is lost
      Files.writeString(a.mnt.resolve("x.txt"), "base\n");
      sync(a);
      await("x.txt in the other mount", 30, () -> Files.exists(b.mnt.resolve("x.txt")));
      assertEquals("base\n", Files.readString(b.mnt.resolve("x.txt")));
      try (var wa = java.nio.channels.FileChannel.open(a.mnt.resolve("x.txt"),
              java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
          var wb = java.nio.channels.FileChannel.open(b.mnt.resolve("x.txt"),
              java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        wa.write(java.nio.ByteBuffer.wrap("from A\n".getBytes(StandardCharsets.UTF_8)));
        wb.write(java.nio.ByteBuffer.wrap("from B\n".getBytes(StandardCharsets.UTF_8)));
      }
      sync(a);
      sync(b);
    }
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      List<String> versions = new ArrayList<>();
      raw.listObjectsV2Paginator(r -> r.bucket(bucket).prefix("m/x.")).contents()
          .forEach(o -> versions.add(new String(remote(raw, o.key()), StandardCharsets.UTF_8)));
      versions.sort(null);
      assertEquals(List.of("from A\n", "from B\n"), versions, "x.txt and its conflict copy hold both writes");
      // bit rot in S3Proxy's backing file (size kept): a mount with a fresh state dir refuses the chunk
      Path backing = server.dataDir().resolve(bucket).resolve("m").resolve("shared.bin");
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(backing.toFile(), "rw")) {
        f.seek(7 * MIB);
        int x = f.read();
        f.seek(7 * MIB);
        f.write(x ^ 0x40);
      }
      try (Mount c = new Mount(tmp, "two-c")) {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
            () -> Files.readAllBytes(c.mnt.resolve("shared.bin")));
        assertTrue(String.valueOf(e.getMessage()).contains("Input/output error"), String.valueOf(e));
      } finally {
        raw.deleteObject(r -> r.bucket(bucket).key("m/shared.bin"));
        for (var o : raw.listObjectsV2Paginator(r -> r.bucket(bucket).prefix("m/x.")).contents()) {
          raw.deleteObject(r -> r.bucket(bucket).key(o.key()));
        }
      }
    }
  }

  private static int count(S3Client raw, String prefix) {
    return raw.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
        .mapToInt(o -> 1).sum();
  }

  @Test
  void aDirectoryRenameCutByKillIsFinishedByTheNextMount(@TempDir Path tmp) throws Exception {
    // 1,500 objects another tool put in the bucket; S3 has no rename, so mv through the mount copies them
    // one by one (then deletes): kill -9 in the middle, and the next mount finishes it before it answers
    int n = 1500;
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint())) {
      for (int i = 1; i <= n; i++) {
        int k = i;
        raw.putObject(b -> b.bucket(bucket).key("m/tree/f" + k), RequestBody.fromString("file " + k));
      }
      Mount m = new Mount(tmp, "r");
      try {
        try (var names = Files.list(m.mnt.resolve("tree"))) {
          assertEquals(n, names.count());
        }
        Process mv = new ProcessBuilder("mv", m.mnt.resolve("tree").toString(), m.mnt.resolve("moved").toString())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        await("300 objects copied", 120, () -> count(raw, "m/moved/") >= 300);
        m.process.destroyForcibly();
        m.process.waitFor(30, TimeUnit.SECONDS);
        mv.destroyForcibly();
        assertTrue(count(raw, "m/tree/") > 0, "the rename finished before the kill: nothing to test");
      } finally {
        m.close();
      }
      try (Mount again = new Mount(tmp, "r")) {
        assertEquals(0, count(raw, "m/tree/"), "nothing is left under the old name");
        assertEquals(n, count(raw, "m/moved/f"));
        assertArrayEquals("file 777".getBytes(StandardCharsets.UTF_8), remote(raw, "m/moved/f777"));
        assertArrayEquals("file 1500".getBytes(StandardCharsets.UTF_8),
            Files.readAllBytes(again.mnt.resolve("moved/f1500")));
        assertTrue(Files.readString(tmp.resolve("r.log")).contains("finished 1 directory renames"));
      } finally {
        // the other tests list the bucket's mount prefix: leave it as found
        raw.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("m/moved")).contents()
            .forEach(o -> raw.deleteObject(b -> b.bucket(bucket).key(o.key())));
      }
    }
  }

  @Test
  void anUploadFromTheMountSurvivesAServerCrash(@TempDir Path tmp) throws Exception {
    byte[] data = S3TestSupport.random(40 * MIB + 7, 52);
    try (S3Client raw = S3TestSupport.rawClient(server.endpoint()); Mount m = new Mount(tmp, "c")) {
      Files.write(m.mnt.resolve("crash.bin"), data); // close returns once staged; the upload runs on
      long pid = server.pid();
      boolean completeBeforeKill = remoteSize(raw, "m/crash.bin") == data.length;
      server.kill();
      assertFalse(completeBeforeKill, "the upload was already complete: the crash did not hit it");
      Thread.sleep(1000);
      server.restart();
      assertTrue(pid != server.pid());
      await("crash.bin complete after the restart", 240, () -> remoteSize(raw, "m/crash.bin") == data.length);
      assertArrayEquals(data, remote(raw, "m/crash.bin"));
      assertArrayEquals(data, Files.readAllBytes(m.mnt.resolve("crash.bin")));
    }
  }
}

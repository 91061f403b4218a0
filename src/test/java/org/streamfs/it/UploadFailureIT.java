package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file whose upload fails for good (a store wrapper of the daemon refuses every write of its key,
 * STREAMFS_TEST_FAIL_KEYS) is never reported as safe: fsync answers EIO, {@code streamfs sync} and
 * {@code streamfs umount} exit non-zero naming it, {@code ops --failed} lists it and {@code recover} gives
 * its bytes back; the report ends when the file is removed. A daemon with a failed upload and a writer that
 * never closes still stops on SIGTERM within its stop timeout.
 */
class UploadFailureIT {
  @TempDir
  Path root;

  private static final Pattern OP = Pattern.compile("streamfs recover ([0-9a-f]+) DEST");

  @Test
  void syncUmountOpsAndRecoverReportAFailedUpload() throws Exception {
    byte[] bytes = new byte[300_000];
    new Random(7).nextBytes(bytes);
    Path src = Files.write(root.resolve("src.bin"), bytes);
    // a file stored before: its rewrite fails, the store keeps this version
    Files.createDirectories(root.resolve("store"));
    Files.writeString(root.resolve("store").resolve("doomed-old.txt"), "old\n");
    Files.writeString(root.resolve("store").resolve("doomed-gone.txt"), "old\n");
    Mounted m = new Mounted(root, "--chunk-size", "1M").withEnv("STREAMFS_TEST_FAIL_KEYS", "doomed")
        .withEnv("STREAMFS_TEST_RETRY_DELAY_MS", "10").start();
    try {
      m.sh("cp " + src + " mnt/doomed.bin && echo fine > mnt/fine.txt && echo gone > mnt/doomed-gone.txt"
          + " && echo new > mnt/doomed-old.txt");
      Mounted.Result sync = m.cli("sync", m.mnt.toString());
      assertEquals(4, sync.code(), sync.out());
      assertTrue(sync.out().contains(m.mnt + "/doomed.bin: NOT in the store"), sync.out());
      assertTrue(sync.out().contains(m.mnt + "/doomed-gone.txt: NOT in the store"), sync.out());
      assertFalse(sync.out().contains("fine.txt"), sync.out());
      Matcher op = OP.matcher(sync.out().substring(sync.out().indexOf("doomed.bin")));
      assertTrue(op.find(), sync.out());
      String opId = op.group(1);

      assertTrue(sync.out().contains(m.mnt + "/doomed-old.txt: NOT in the store"), sync.out());
      // the mount shows what the store holds, and fsync, even through a descriptor opened afterwards, is EIO
      assertEquals("old\n", m.sh("cat mnt/doomed-old.txt"));
      Mounted.Result fsync = m.run("python3 -c \"import os; fd = os.open('mnt/doomed-old.txt', os.O_RDONLY);"
          + " os.fsync(fd)\"");
      assertTrue(fsync.code() != 0 && fsync.out().contains("Input/output error"), fsync.out());
      // a writer's own fsync reports the failure too
      fsync = m.run("python3 -c \"import os; fd = os.open('mnt/doomed-new.txt', os.O_WRONLY | os.O_CREAT);"
          + " os.write(fd, b'x'); os.fsync(fd)\"");
      assertTrue(fsync.code() != 0 && fsync.out().contains("Input/output error"), fsync.out());

      Mounted.Result ops = m.cli("ops", "--failed", "--state-dir", m.state.toString());
      assertEquals(0, ops.code(), ops.out());
      assertTrue(ops.out().contains(opId) && ops.out().contains("doomed.bin"), ops.out());

      // removing a file ends its report; the other stays
      m.sh("rm mnt/doomed-gone.txt");
      sync = m.cli("sync", m.mnt.toString());
      assertEquals(4, sync.code(), sync.out());
      assertFalse(sync.out().contains("doomed-gone.txt"), sync.out());
      assertTrue(sync.out().contains("doomed.bin"), sync.out());

      Mounted.Result umount = m.cli("umount", m.mnt.toString());
      assertEquals(4, umount.code(), umount.out());
      assertTrue(umount.out().contains(m.mnt + "/doomed.bin: NOT in the store"), umount.out());
      assertFalse(m.mounted(), "umount still unmounts");
    } finally {
      m.close();
    }
    Path dest = root.resolve("recovered.bin");
    Mounted.Result ops = m.cli("ops", "--failed", "--state-dir", m.state.toString());
    Matcher op = Pattern.compile("([0-9a-f]{16}) +mount_write +failed.*doomed\\.bin").matcher(ops.out());
    assertTrue(op.find(), ops.out());
    Mounted.Result rec = m.cli("recover", "--state-dir", m.state.toString(), op.group(1), dest.toString());
    assertEquals(0, rec.code(), rec.out());
    assertArrayEquals(bytes, Files.readAllBytes(dest));
    assertTrue(Files.exists(m.store.resolve("fine.txt")));
    assertFalse(Files.exists(m.store.resolve("doomed.bin")));
  }

  @Test
  void sigtermStopsWithinTheStopTimeoutDespiteAFailedUploadAndAStuckWriter() throws Exception {
    Mounted m = new Mounted(root, "--stop-timeout", "5s").withEnv("STREAMFS_TEST_FAIL_KEYS", "doomed")
        .withEnv("STREAMFS_TEST_RETRY_DELAY_MS", "10").start();
    Process writer = null;
    try {
      m.sh("echo v1 > mnt/doomed.txt");
      writer = new ProcessBuilder("python3", "-c", "import time; f = open('" + m.mnt + "/stuck.txt', 'wb');"
          + " f.write(b'x' * 1000); f.flush(); print('open', flush=True); time.sleep(600)")
          .redirectErrorStream(true).start();
      byte[] first = writer.getInputStream().readNBytes(5);
      assertEquals("open\n", new String(first), "the writer has its file open");
      ProcessHandle daemon = ProcessHandle.of(m.pid()).orElseThrow();
      long t0 = System.nanoTime();
      daemon.destroy(); // SIGTERM
      daemon.onExit().get(60, TimeUnit.SECONDS);
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
      assertTrue(seconds <= 5 + 15, "the daemon took " + seconds + " s to stop, stop timeout 5 s");
    } finally {
      if (writer != null) {
        writer.destroyForcibly();
        writer.waitFor(10, TimeUnit.SECONDS);
      }
      m.close();
    }
  }
}

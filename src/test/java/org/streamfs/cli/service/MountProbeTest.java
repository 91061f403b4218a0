package org.streamfs.cli.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real mounts of the test machine (/proc is always one) against plain directories. */
class MountProbeTest {
  @TempDir Path tmp;

  @Test
  void aMountedFileSystemAnswers() throws Exception {
    assertTrue(MountProbe.answers(Path.of("/proc")));
    assertTrue(MountProbe.awaitAnswer(Path.of("/proc"), Duration.ZERO));
  }

  @Test
  void aPlainDirectoryOrAMissingOneDoesNot() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mnt"));
    assertFalse(MountProbe.answers(dir));
    assertFalse(MountProbe.answers(tmp.resolve("missing")));
    assertFalse(MountProbe.answers(Path.of("/")));
    long t0 = System.nanoTime();
    assertFalse(MountProbe.awaitAnswer(dir, Duration.ofMillis(200)));
    assertTrue(System.nanoTime() - t0 >= 200_000_000L, "it kept trying for the whole wait");
  }
}

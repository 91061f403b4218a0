package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stress-ng's file-system stressors (the Debian package) against a real mount with {@code --verify}: file
 * writes and reads at random offsets (hdd, seek), directory and dentry churn, renames, chmod, chown, utime,
 * symlinks, xattrs, lockf/flock, readahead and mknod, several processes at once. It must end "successful
 * run" with no stressor failing, and the daemon must log no error (a write lost after close shows there).
 */
class StressNgMountIT {
  @Test
  void fileSystemStressorsVerifyClean(@TempDir Path root) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/stress-ng")), "stress-ng installed");
    try (Mounted m = new Mounted(root, "--chunk-size", "1M", "--max-dirty", "16M").start()) {
      Mounted.Result r = m.run("mkdir mnt/s && cd mnt/s && stress-ng --temp-path . --verify --metrics-brief"
          + " --timeout 60s --hdd 2 --hdd-ops 400 --seek 2 --seek-ops 400 --dir 1 --dir-ops 300 --rename 1"
          + " --rename-ops 300 --dentry 1 --dentry-ops 100 --chmod 1 --chmod-ops 100 --chown 1 --chown-ops 100"
          + " --utime 1 --utime-ops 100 --symlink 1 --symlink-ops 100 --xattr 1 --xattr-ops 100 --lockf 1"
          + " --lockf-ops 100 --flock 1 --flock-ops 100 --readahead 1 --readahead-ops 100 --mknod 1"
          + " --mknod-ops 100 2>&1");
      assertTrue(r.code() == 0 && r.out().contains("successful run completed"), r.out());
      assertFalse(r.out().matches("(?s).*\\b(failed|FAIL)\\b.*"), r.out());
      String log = m.log();
      assertFalse(log.contains(" ERROR "), "daemon errors:\n" + log);
    }
  }
}

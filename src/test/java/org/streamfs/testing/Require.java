package org.streamfs.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions of tests that need the machine's real pieces (FUSE, root, python3, servers). On a
 * developer's machine a missing piece skips the test; under CI ({@code CI=true}, where .ci/run installed
 * everything) it fails it, so a skipped test can never hide a gap in CI.
 */
public final class Require {
  private Require() {}

  public static void assumeTrue(boolean condition, String what) {
    if ("true".equals(System.getenv("CI"))) {
      Assertions.assertTrue(condition, "CI must provide this: " + what);
    } else {
      Assumptions.assumeTrue(condition, what);
    }
  }

  public static void assumeTrue(boolean condition) {
    assumeTrue(condition, "a precondition of this test");
  }
}

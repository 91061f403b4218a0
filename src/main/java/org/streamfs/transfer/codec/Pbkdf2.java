package org.streamfs.transfer.codec;

import java.security.GeneralSecurityException;
import java.security.spec.KeySpec;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * PBKDF2-HMAC-SHA256 from the JDK: turns a passphrase into a 256-bit master key, with an iteration count
 * calibrated once per process so that one derivation takes about half a second on this machine (never
 * below {@link #MIN_ITERATIONS}). Readers use the count an object's header records, up to
 * {@link #MAX_ITERATIONS} (a header asking for more is refused rather than hanging the reader).
 */
final class Pbkdf2 {
  static final int MIN_ITERATIONS = 100_000;
  static final int MAX_ITERATIONS = 100_000_000;
  static final long TARGET_NANOS = 500_000_000L;
  private static volatile int calibrated;

  private Pbkdf2() {}

  static byte[] derive(char[] passphrase, byte[] salt, int iterations) {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("PBKDF2 iteration count " + iterations + " out of range (1-"
          + MAX_ITERATIONS + ")");
    }
    KeySpec spec = new PBEKeySpec(passphrase, salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK without PBKDF2WithHmacSHA256", e);
    } finally {
      ((PBEKeySpec) spec).clearPassword();
    }
  }

  /** Iterations for ~0.5 s on this machine (measured once per process). */
  static int calibrate() {
    int c = calibrated;
    if (c == 0) {
      char[] probe = "streamfs-calibration".toCharArray();
      byte[] salt = new byte[16];
      derive(probe, salt, 20_000); // warm-up
      int n = 50_000;
      long t0 = System.nanoTime();
      derive(probe, salt, n);
      long dt = Math.max(1, System.nanoTime() - t0);
      long iter = n * TARGET_NANOS / dt;
      c = (int) Math.max(MIN_ITERATIONS, Math.min(iter, MAX_ITERATIONS / 10));
      calibrated = c;
    }
    return c;
  }
}

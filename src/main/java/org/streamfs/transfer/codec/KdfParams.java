package org.streamfs.transfer.codec;

import java.util.Arrays;

/**
 * How a passphrase became the master key of one object, as its header records it: the KDF id
 * ({@link #NO_KDF} for a raw key, {@link #PBKDF2_SHA256}), the iteration count and the 16-byte salt. Equal
 * parameters (by value) share one cached derivation.
 */
record KdfParams(int kdf, int iterations, byte[] salt) {
  static final int NO_KDF = 0;
  static final int PBKDF2_SHA256 = 1;
  static final KdfParams NONE = new KdfParams(NO_KDF, 0, new byte[16]);

  KdfParams {
    if (salt.length != 16) {
      throw new IllegalArgumentException("KDF salt must be 16 bytes");
    }
    salt = salt.clone();
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KdfParams p && p.kdf == kdf && p.iterations == iterations
        && Arrays.equals(p.salt, salt);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * kdf + iterations) + Arrays.hashCode(salt);
  }

  @Override
  public String toString() {
    return kdf == NO_KDF ? "KdfParams[none]" : "KdfParams[pbkdf2-hmac-sha256, " + iterations + " iterations]";
  }
}

package org.streamfs.store;

import java.util.Objects;

/**
 * What a publishing write ({@link ObjectStore#put}, {@link ObjectStore#completeUpload}) requires of the object
 * at its key at the moment it lands: anything ({@link #ANY}, the write replaces whatever is there), no object
 * ({@link #ABSENT}), or one exact version ({@link #version}). A write whose condition does not hold changes
 * nothing and fails with {@link StoreException.Kind#CONFLICT}; this is how a writer learns that another one
 * replaced the version it started from (S3 {@code If-Match}/{@code If-None-Match}, a CouchDB revision, a
 * compare-and-rename on a local directory).
 */
public final class Expect {
  /** No condition: the write replaces whatever the key holds. */
  public static final Expect ANY = new Expect(null, false);
  /** The key must hold no object. */
  public static final Expect ABSENT = new Expect(null, true);

  private final String version;
  private final boolean absent;

  private Expect(String version, boolean absent) {
    this.version = version;
    this.absent = absent;
  }

  /** The key must hold exactly this version. */
  public static Expect version(String version) {
    return new Expect(Objects.requireNonNull(version, "version"), false);
  }

  /** The key must still hold {@code base} (its version), or nothing if {@code base} is null. */
  public static Expect of(ObjectInfo base) {
    return base == null ? ABSENT : version(base.version());
  }

  public boolean isAny() {
    return version == null && !absent;
  }

  public boolean isAbsent() {
    return absent;
  }

  /** The version required, or null for {@link #ANY} and {@link #ABSENT}. */
  public String version() {
    return version;
  }

  /** Whether a key holding {@code current} (null: no object) satisfies this condition. */
  public boolean matches(String current) {
    if (isAny()) {
      return true;
    }
    return absent ? current == null : version.equals(current);
  }

  /** The conflict a write under this condition meets when the key holds {@code current} (null: nothing). */
  public StoreException conflict(String key, String current) {
    return new StoreException(StoreException.Kind.CONFLICT, key, "the object was changed by another writer:"
        + " expected " + this + ", the store holds " + (current == null ? "no object" : "version " + current)
        + "; nothing was written");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Expect e && e.absent == absent && Objects.equals(e.version, version);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, absent);
  }

  @Override
  public String toString() {
    return isAny() ? "any version" : absent ? "no object" : "version " + version;
  }
}

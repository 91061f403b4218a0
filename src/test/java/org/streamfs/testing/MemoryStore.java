package org.streamfs.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.streamfs.model.Sha256;
import org.streamfs.store.Expect;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;
import org.streamfs.store.StoreLimits;

/**
 * A complete in-memory {@link ObjectStore} with S3's semantics (keys are flat: {@code a/b} does not imply a
 * marker {@code a/}; markers are ordinary empty objects), for engine tests that need a fast store. It passes
 * the same {@code ObjectStoreContract} as the real stores. Limits are configurable so that S3's 5 MiB
 * minimum part size can be emulated (completeUpload then refuses small non-last parts like S3 does). One
 * lock guards everything; the test helpers ({@link #objectCount}, {@link #uploadCount}, {@link #bytes})
 * let tests look behind the SPI.
 */
public final class MemoryStore implements ObjectStore {
  private record Obj(byte[] data, String version, Instant lastModified, Map<String, String> metadata) {}

  private record Part(byte[] data, String sha256Hex) {}

  private record Upload(String key, Map<String, String> metadata, Instant initiated, TreeMap<Integer, Part> parts) {}

  private static final AtomicLong VERSIONS = new AtomicLong();

  private final StoreLimits limits;
  private final Clock clock;
  private final TreeMap<String, Obj> objects = new TreeMap<>();
  private final Map<String, Upload> uploads = new HashMap<>();

  public MemoryStore() {
    this(StoreLimits.UNLIMITED, Clock.systemUTC());
  }

  public MemoryStore(StoreLimits limits) {
    this(limits, Clock.systemUTC());
  }

  public MemoryStore(StoreLimits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
  }

  @Override
  public String describe() {
    return "memory:" + Integer.toHexString(System.identityHashCode(this));
  }

  @Override
  public StoreLimits limits() {
    return limits;
  }

  @Override
  public void checkAccess() {}

  @Override
  public synchronized ObjectInfo stat(String key) throws StoreException {
    StoreKeys.validate(key);
    return info(key, get(key));
  }

  @Override
  public synchronized Listing list(String prefix, String delimiter) throws StoreException {
    StoreKeys.validatePrefix(prefix);
    List<ObjectInfo> found = new ArrayList<>();
    TreeSet<String> common = new TreeSet<>();
    for (Map.Entry<String, Obj> e : objects.tailMap(prefix, true).entrySet()) {
      String key = e.getKey();
      if (!key.startsWith(prefix)) {
        break;
      }
      if (key.equals(prefix) && key.endsWith("/")) {
        continue;
      }
      int cut = delimiter == null ? -1 : key.indexOf(delimiter, prefix.length());
      if (cut >= 0) {
        common.add(key.substring(0, cut + delimiter.length()));
      } else {
        found.add(info(key, e.getValue()));
      }
    }
    return new Listing(found, new ArrayList<>(common));
  }

  @Override
  public synchronized InputStream read(String key, long offset, long length, String ifVersion)
      throws StoreException {
    StoreKeys.validate(key);
    Obj o = get(key);
    checkVersion(key, o, ifVersion);
    if (offset < 0) {
      throw new StoreException(Kind.PERMANENT, key, "negative offset " + offset);
    }
    int from = (int) Math.min(offset, o.data.length);
    int to = length < 0 ? o.data.length : (int) Math.min(o.data.length, from + Math.min(length, Integer.MAX_VALUE));
    return new ByteArrayInputStream(Arrays.copyOfRange(o.data, from, to));
  }

  @Override
  public synchronized ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    StoreKeys.validate(key);
    if (key.endsWith("/") && data.length > 0) {
      throw new StoreException(Kind.PERMANENT, key, "a directory marker cannot hold data");
    }
    check(key, expect);
    return publish(key, data.clone(), metadata);
  }

  @Override
  public synchronized String beginUpload(String key, Map<String, String> metadata) throws StoreException {
    StoreKeys.validate(key);
    if (key.endsWith("/")) {
      throw new StoreException(Kind.PERMANENT, key, "multipart upload to a directory marker");
    }
    String id = UUID.randomUUID().toString().replace("-", "");
    uploads.put(id, new Upload(key, metadata == null ? Map.of() : Map.copyOf(metadata), clock.instant(),
        new TreeMap<>()));
    return id;
  }

  @Override
  public synchronized PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data,
      byte[] sha256) throws StoreException {
    Upload u = upload(key, uploadId);
    checkPartNumber(key, partNumber);
    byte[] bytes = new byte[data.remaining()];
    data.duplicate().get(bytes);
    if (bytes.length > limits.maxPartSize()) {
      throw new StoreException(Kind.PERMANENT, key, "part " + partNumber + " is larger than "
          + limits.maxPartSize() + " bytes");
    }
    byte[] actual = Sha256.digest(bytes);
    if (sha256 == null || !MessageDigest.isEqual(actual, sha256)) {
      throw new StoreException(Kind.CHECKSUM, key, "part " + partNumber + ": SHA-256 of the received "
          + bytes.length + " bytes is " + Sha256.hex(actual) + ", expected "
          + (sha256 == null ? "none" : Sha256.hex(sha256)));
    }
    return store(u, partNumber, bytes, Sha256.hex(actual));
  }

  @Override
  public synchronized PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    Upload u = upload(key, uploadId);
    checkPartNumber(key, partNumber);
    StoreKeys.validate(sourceKey);
    Obj src = get(sourceKey);
    checkVersion(sourceKey, src, sourceVersion);
    if (offset < 0 || length < 0 || offset + length > src.data.length) {
      throw new StoreException(Kind.PERMANENT, sourceKey, "range [" + offset + ", " + (offset + length)
          + ") is outside the " + src.data.length + "-byte source object");
    }
    byte[] bytes = Arrays.copyOfRange(src.data, (int) offset, (int) (offset + length));
    return store(u, partNumber, bytes, Sha256.hex(Sha256.digest(bytes)));
  }

  @Override
  public synchronized List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    Upload u = upload(key, uploadId);
    List<PartReceipt> out = new ArrayList<>();
    u.parts.forEach((n, p) -> out.add(receipt(n, p)));
    return out;
  }

  @Override
  public synchronized ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts,
      Expect expect) throws StoreException {
    Upload u = upload(key, uploadId);
    if (parts.isEmpty()) {
      throw new StoreException(Kind.PERMANENT, key, "completeUpload needs at least one part");
    }
    int total = 0;
    int previous = 0;
    for (int i = 0; i < parts.size(); i++) {
      PartReceipt r = parts.get(i);
      Part p = u.parts.get(r.partNumber());
      if (p == null) {
        throw new StoreException(Kind.PERMANENT, key, "part " + r.partNumber() + " was not uploaded");
      }
      if (r.partNumber() <= previous) {
        throw new StoreException(Kind.PERMANENT, key, "parts must be listed in ascending order");
      }
      previous = r.partNumber();
      if (r.etag() != null && !r.etag().equals(p.sha256Hex)) {
        throw new StoreException(Kind.PERMANENT, key, "part " + r.partNumber() + " has etag " + p.sha256Hex
            + ", not " + r.etag());
      }
      if (i < parts.size() - 1 && p.data.length < limits.minPartSize()) {
        throw new StoreException(Kind.PERMANENT, key, "part " + r.partNumber() + " is " + p.data.length
            + " bytes, smaller than the minimum " + limits.minPartSize());
      }
      total = Math.addExact(total, p.data.length);
    }
    byte[] all = new byte[total];
    int at = 0;
    for (PartReceipt r : parts) {
      byte[] d = u.parts.get(r.partNumber()).data;
      System.arraycopy(d, 0, all, at, d.length);
      at += d.length;
    }
    check(key, expect);
    uploads.remove(uploadId);
    return publish(key, all, u.metadata);
  }

  @Override
  public synchronized void abortUpload(String key, String uploadId) {
    Upload u = uploads.get(uploadId);
    if (u != null && u.key.equals(key)) {
      uploads.remove(uploadId);
    }
  }

  @Override
  public synchronized List<PendingUpload> listUploads(String prefix) throws StoreException {
    StoreKeys.validatePrefix(prefix);
    List<PendingUpload> out = new ArrayList<>();
    uploads.forEach((id, u) -> {
      if (u.key.startsWith(prefix)) {
        out.add(new PendingUpload(u.key, id, u.initiated));
      }
    });
    out.sort((a, b) -> a.key().equals(b.key()) ? a.initiated().compareTo(b.initiated())
        : a.key().compareTo(b.key()));
    return out;
  }

  @Override
  public synchronized void delete(String key) throws StoreException {
    StoreKeys.validate(key);
    objects.remove(key);
  }

  @Override
  public synchronized ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    StoreKeys.validate(fromKey);
    StoreKeys.validate(toKey);
    Obj o = get(fromKey);
    return publish(toKey, o.data, o.metadata);
  }

  @Override
  public synchronized ObjectInfo updateMetadata(String key, Map<String, String> metadata)
      throws StoreException {
    StoreKeys.validate(key);
    Obj o = get(key);
    Obj n = new Obj(o.data, o.version, o.lastModified, metadata == null ? Map.of() : Map.copyOf(metadata));
    objects.put(key, n);
    return info(key, n);
  }

  @Override
  public void close() {}

  // ---- helpers for tests ----

  /** Number of objects (including directory markers). */
  public synchronized int objectCount() {
    return objects.size();
  }

  /** Number of multipart uploads begun and not finished. */
  public synchronized int uploadCount() {
    return uploads.size();
  }

  /** The bytes of an object, or null. */
  public synchronized byte[] bytes(String key) {
    Obj o = objects.get(key);
    return o == null ? null : o.data.clone();
  }

  // ---- internals ----

  private Obj get(String key) throws StoreException {
    Obj o = objects.get(key);
    if (o == null) {
      throw StoreException.notFound(key);
    }
    return o;
  }

  private static void checkVersion(String key, Obj o, String ifVersion) throws StoreException {
    if (ifVersion != null && !ifVersion.equals(o.version)) {
      throw new StoreException(Kind.PRECONDITION_FAILED, key, "version is " + o.version + ", not " + ifVersion);
    }
  }

  private Upload upload(String key, String uploadId) throws StoreException {
    StoreKeys.validate(key);
    Upload u = uploadId == null ? null : uploads.get(uploadId);
    if (u == null || !u.key.equals(key)) {
      throw new StoreException(Kind.NOT_FOUND, key, "no such upload: " + uploadId);
    }
    return u;
  }

  private void checkPartNumber(String key, int partNumber) throws StoreException {
    if (partNumber < 1 || partNumber > limits.maxParts()) {
      throw new StoreException(Kind.PERMANENT, key, "part number " + partNumber + " is outside 1.."
          + limits.maxParts());
    }
  }

  private static PartReceipt store(Upload u, int partNumber, byte[] bytes, String hex) {
    Part p = new Part(bytes, hex);
    u.parts.put(partNumber, p);
    return receipt(partNumber, p);
  }

  private static PartReceipt receipt(int n, Part p) {
    return new PartReceipt(n, p.data.length, p.sha256Hex, p.sha256Hex);
  }

  /** A conditional write's check, atomic with the publish (both under the store's monitor). */
  private void check(String key, Expect expect) throws StoreException {
    Obj now = objects.get(key);
    String current = now == null ? null : now.version;
    if (!expect.matches(current)) {
      throw expect.conflict(key, current);
    }
  }

  private ObjectInfo publish(String key, byte[] data, Map<String, String> metadata) {
    Obj o = new Obj(data, "m" + VERSIONS.incrementAndGet(), clock.instant(),
        metadata == null ? Map.of() : Map.copyOf(metadata));
    objects.put(key, o);
    return info(key, o);
  }

  private static ObjectInfo info(String key, Obj o) {
    return new ObjectInfo(key, o.data.length, o.version, o.lastModified, o.metadata);
  }
}

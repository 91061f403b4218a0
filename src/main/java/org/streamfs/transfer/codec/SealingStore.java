package org.streamfs.transfer.codec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.streamfs.model.ChecksumMismatchException;
import org.streamfs.model.Sha256;
import org.streamfs.store.Expect;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoredManifest;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreLimits;

/**
 * An {@link ObjectStore} decorator that the engine runs on when compression or encryption is on: above it
 * every object is its plaintext (sizes, ranged reads, multipart parts of plaintext chunks); below it sealed
 * objects (FORMAT.md) carry the metadata flag {@code streamfs-format=sealed-v1}, which this class adds and
 * hides. Writes seal: part {@code n} of an upload is frame {@code n-1}, {@code completeUpload} adds the
 * index as one more part; a sealed upload's id is the store's id plus the header token, so a resumed
 * upload (another process) continues the same object version. Reads decode sealed objects (with or without
 * sealing options; a key is needed only for encrypted ones) and pass plain objects through untouched, so
 * plain mode stays byte-identical. Opened readers (header and index) are cached per key and version.
 */
public final class SealingStore implements ObjectStore {
  static final String ID_SEPARATOR = "~sealed-v1~";
  static final String META_CHUNK = "streamfs-chunk-size";
  static final String META_SHA256 = "streamfs-sha256";
  private static final int CACHE = 1024;

  private final ObjectStore inner;
  private final CodecOptions options;
  private final SealedUploads sealed;
  private final Map<String, Status> status = Collections.synchronizedMap(
      new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Status> e) {
          return size() > CACHE;
        }
      });

  /** What is known about one object version below: sealed or not, sizes, the opened reader. */
  private static final class Status {
    final boolean sealed;
    final long plainSize;
    final long storedSize;
    volatile SealedReader reader;

    Status(boolean sealed, long plainSize, long storedSize) {
      this.sealed = sealed;
      this.plainSize = plainSize;
      this.storedSize = storedSize;
    }
  }

  /** Wraps {@code inner}; {@code options} plain = write plain objects, still read sealed ones. */
  public SealingStore(ObjectStore inner, CodecOptions options) {
    this.inner = inner;
    this.options = options;
    this.sealed = new SealedUploads(inner, options);
  }

  public CodecOptions options() {
    return options;
  }

  private boolean sealing() {
    return !options.isPlain();
  }

  /** The underlying store's upload id of a (possibly sealed) upload id, e.g. to match listUploads. */
  public static String storeUploadId(String uploadId) {
    int i = uploadId.lastIndexOf(ID_SEPARATOR);
    return i < 0 ? uploadId : uploadId.substring(0, i);
  }

  private static String cacheKey(String key, String version) {
    return key + '\0' + version;
  }

  @Override
  public String describe() {
    return inner.describe() + (sealing() ? " (sealed: " + options + ")" : "");
  }

  @Override
  public int heapCopiesPerPart() {
    // sealChunk: a heap copy of a direct plaintext buffer, and the frame it writes
    return sealing() ? 2 + inner.heapCopiesPerPart() : inner.heapCopiesPerPart();
  }

  @Override
  public StoreLimits limits() {
    StoreLimits l = inner.limits();
    if (!sealing()) {
      return l;
    }
    long overhead = SealedHeader.LENGTH + ObjectCodec.FRAME_HEADER + SealedKeys.NONCE_LENGTH
        + SealedKeys.TAG_LENGTH;
    int parts = l.maxParts() == Integer.MAX_VALUE ? l.maxParts() : l.maxParts() - 1; // the index part
    return new StoreLimits(l.minPartSize(), Math.min(l.maxPartSize() - overhead, ObjectCodec.MAX_CHUNK), parts,
        l.maxKeyBytes());
  }

  @Override
  public void checkAccess() throws StoreException {
    inner.checkAccess();
  }

  // ------------------------------------------------------------------ reading

  @Override
  public ObjectInfo stat(String key) throws StoreException {
    return translate(inner.stat(key), false);
  }

  @Override
  public Listing list(String prefix, String delimiter) throws StoreException {
    Listing l = inner.list(prefix, delimiter);
    List<ObjectInfo> out = new ArrayList<>(l.objects().size());
    for (ObjectInfo o : l.objects()) {
      out.add(translate(o, true));
    }
    return new Listing(out, l.commonPrefixes());
  }

  /**
   * The plaintext view of an object below: flag removed, size = file size. An object is sealed if its
   * metadata says so; in a listing without metadata (S3) and with sealing on, the footer is sniffed.
   */
  private ObjectInfo translate(ObjectInfo o, boolean fromListing) throws StoreException {
    if (o.isDirectory()) {
      return o;
    }
    Status s = status(o, fromListing && o.metadata().isEmpty() && sealing());
    if (!s.sealed) {
      return o;
    }
    Map<String, String> meta = new LinkedHashMap<>(o.metadata());
    meta.remove(ObjectCodec.FORMAT_KEY);
    return new ObjectInfo(o.key(), s.plainSize, o.version(), o.lastModified(), meta);
  }

  private Status status(ObjectInfo o, boolean sniff) throws StoreException {
    String ck = cacheKey(o.key(), o.version());
    Status s = status.get(ck);
    if (s != null) {
      return s;
    }
    boolean flagged = SealedReader.isSealed(o.metadata());
    if (!flagged && !sniff) {
      s = new Status(false, o.size(), o.size());
    } else {
      long size;
      try {
        size = SealedReader.peekSize(o.size(), rangeReader(o.key(), o.version()));
      } catch (StoreException e) {
        throw e;
      } catch (IOException e) {
        throw new StoreException(Kind.TRANSIENT, o.key(), "reading the sealed footer failed: " + e, e);
      }
      if (size < 0 && flagged) {
        throw new StoreException(Kind.CHECKSUM, o.key(), "object is marked sealed but has no sealed footer"
            + " (truncated?)");
      }
      s = size < 0 ? new Status(false, o.size(), o.size()) : new Status(true, size, o.size());
    }
    status.put(ck, s);
    return s;
  }

  private RangeReader rangeReader(String key, String version) {
    return (offset, length) -> {
      try (InputStream in = inner.read(key, offset, length, version)) {
        return in.readNBytes(length);
      }
    };
  }

  private SealedReader reader(String key, String version, Status s) throws StoreException {
    SealedReader r = s.reader;
    if (r == null) {
      try {
        r = SealedReader.open(key, s.storedSize, rangeReader(key, version), options.key());
      } catch (StoreException e) {
        throw e;
      } catch (WrongKeyException e) {
        throw new StoreException(Kind.PERMANENT, key, e.getMessage(), e);
      } catch (ChecksumMismatchException e) {
        throw new StoreException(Kind.CHECKSUM, key, e.getMessage(), e);
      } catch (IOException e) {
        throw new StoreException(Kind.TRANSIENT, key, "opening the sealed object failed: " + e, e);
      }
      s.reader = r;
    }
    return r;
  }

  /**
   * Refuses a wrong key up front (for a mount, before it serves anything): opens the first encrypted
   * sealed object among the first {@code maxObjects} below {@code prefix} and throws the
   * {@link WrongKeyException} (as a PERMANENT {@link StoreException}) if the key does not fit it. Returns
   * true if an encrypted object was found and opened, false if there was none to check against.
   */
  public boolean checkKey(String prefix, int maxObjects) throws StoreException {
    int seen = 0;
    for (ObjectInfo o : inner.list(prefix, null).objects()) {
      if (o.isDirectory() || seen++ >= maxObjects) {
        continue;
      }
      Status s = status(o, o.metadata().isEmpty());
      if (s.sealed && s.storedSize >= SealedHeader.LENGTH) {
        byte[] h;
        try (InputStream in = inner.read(o.key(), 0, SealedHeader.LENGTH, o.version())) {
          h = in.readNBytes(SealedHeader.LENGTH);
        } catch (IOException e) {
          throw new StoreException(Kind.TRANSIENT, o.key(), "reading the sealed header failed: " + e, e);
        }
        if (h.length == SealedHeader.LENGTH && (h[11] & 1) != 0) {
          reader(o.key(), o.version(), s);
          return true;
        }
      }
    }
    return false;
  }

  /** The object's info from the inner store; PRECONDITION_FAILED if it is not version {@code ifVersion}. */
  private ObjectInfo statPinned(String key, String ifVersion) throws StoreException {
    ObjectInfo o = inner.stat(key);
    if (ifVersion != null && !ifVersion.equals(o.version())) {
      throw new StoreException(Kind.PRECONDITION_FAILED, key, "object changed: version " + o.version()
          + ", expected " + ifVersion);
    }
    return o;
  }

  /**
   * The inner store's channel for an object stored as it is (not sealed); null for a sealed one. The inner
   * store is asked first, so a store that has no local files (S3, CouchDB) costs no status lookup.
   */
  @Override
  public FileChannel openLocal(String key, String ifVersion) throws StoreException {
    if (ifVersion == null) {
      return null;
    }
    FileChannel ch = inner.openLocal(key, ifVersion);
    if (ch == null) {
      return null;
    }
    try {
      Status s = status.get(cacheKey(key, ifVersion));
      if (s == null) {
        s = status(statPinned(key, ifVersion), false);
      }
      if (!s.sealed) {
        return ch;
      }
    } catch (StoreException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
    closeQuietly(ch);
    return null;
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    Status s = ifVersion == null ? null : status.get(cacheKey(key, ifVersion));
    String version = ifVersion;
    if (s == null) {
      ObjectInfo o = statPinned(key, ifVersion);
      version = o.version();
      s = status(o, false);
    }
    if (!s.sealed) {
      return inner.read(key, offset, length, ifVersion);
    }
    if (offset < 0) {
      throw new StoreException(Kind.PERMANENT, key, "negative offset " + offset);
    }
    SealedReader r = reader(key, version, s);
    long start = Math.min(offset, r.size());
    long end = length < 0 ? r.size() : Math.min(r.size(), start + length);
    SealedRangeStream in = new SealedRangeStream(r, start, end);
    if (start < end) {
      try {
        in.prefetch(); // the first chunk now: a changed object fails here, as the SPI promises
      } catch (StoreException e) {
        throw e;
      } catch (ChecksumMismatchException e) {
        throw new StoreException(Kind.CHECKSUM, key, e.getMessage(), e);
      } catch (IOException e) {
        throw new StoreException(Kind.TRANSIENT, key, "reading a sealed chunk failed: " + e, e);
      }
    } else if (ifVersion != null && !ifVersion.equals(inner.stat(key).version())) {
      throw new StoreException(Kind.PRECONDITION_FAILED, key, "object changed since version " + ifVersion);
    }
    return in;
  }

  // ------------------------------------------------------------------ writing

  /**
   * Metadata as stored below: the format flag added; when encrypting, the whole-file plaintext SHA-256
   * ({@code streamfs-sha256}) removed, since it would let the operator confirm a guess of the content (the
   * engine keeps it in its catalog; the sealed index keeps per-chunk digests, encrypted).
   */
  private Map<String, String> flagged(Map<String, String> meta) {
    Map<String, String> m = new LinkedHashMap<>(meta == null ? Map.of() : meta);
    m.putAll(ObjectCodec.formatMetadata());
    if (options.encrypting()) {
      m.remove(META_SHA256);
    }
    return m;
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    if (!sealing() || key.endsWith("/")) {
      return inner.put(key, data, metadata, expect);
    }
    ObjectCodec codec = ObjectCodec.create(options, Math.max(1, data.length), 1);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(data.length + 512);
    List<FrameInfo> infos = new ArrayList<>();
    if (data.length > 0) {
      SealedFrame f = codec.sealChunk(0, ByteBuffer.wrap(data));
      out.write(f.part().array(), f.part().arrayOffset() + f.part().position(), f.part().remaining());
      infos.add(f.info());
    }
    ByteBuffer fin = codec.finish(data.length, infos);
    out.write(fin.array(), fin.arrayOffset() + fin.position(), fin.remaining());
    ObjectInfo o = inner.put(key, out.toByteArray(), flagged(metadata), expect);
    status.put(cacheKey(key, o.version()), new Status(true, data.length, o.size()));
    return translate(o, false);
  }

  @Override
  public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
    return sealing() ? sealed.begin(key, metadata, flagged(metadata)) : inner.beginUpload(key, metadata);
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    return sealed.codec(key, uploadId) == null ? inner.uploadPart(key, uploadId, partNumber, data, sha256)
        : sealed.uploadPart(key, uploadId, partNumber, data, sha256);
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    if (sealed.codec(key, uploadId) == null) {
      return inner.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length);
    }
    // a frame is bound to its object version: re-seal the plaintext instead of a server-side copy
    byte[] plain;
    try (InputStream in = read(sourceKey, offset, length, sourceVersion)) {
      plain = in.readNBytes((int) Math.min(length, ObjectCodec.MAX_CHUNK));
    } catch (StoreException e) {
      throw e;
    } catch (ChecksumMismatchException e) {
      throw new StoreException(Kind.CHECKSUM, sourceKey, e.getMessage(), e);
    } catch (IOException e) {
      throw new StoreException(Kind.TRANSIENT, sourceKey, "reading the source of a part copy failed: " + e, e);
    }
    if (plain.length != length) {
      throw new StoreException(Kind.PERMANENT, sourceKey, "range " + offset + "+" + length
          + " is beyond the end of the source");
    }
    ByteBuffer b = ByteBuffer.wrap(plain);
    return sealed.uploadPart(key, uploadId, partNumber, b, Sha256.digest(b));
  }


  @Override
  public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    return sealed.codec(key, uploadId) == null ? inner.listParts(key, uploadId) : sealed.listParts(key, uploadId);
  }

  @Override
  public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts, Expect expect)
      throws StoreException {
    if (sealed.codec(key, uploadId) == null) {
      return inner.completeUpload(key, uploadId, parts, expect);
    }
    SealedUploads.Completed c = sealed.complete(key, uploadId, parts, expect);
    status.put(cacheKey(key, c.below().version()), new Status(true, c.plainSize(), c.below().size()));
    return translate(c.below(), false);
  }

  @Override
  public void abortUpload(String key, String uploadId) throws StoreException {
    sealed.abort(key, uploadId);
  }

  /**
   * Uploads as the store lists them, with the sealed ids of uploads begun in this process; an upload begun
   * by an earlier process shows its store id (compare with {@link #storeUploadId}; abortUpload takes it).
   */
  @Override
  public List<PendingUpload> listUploads(String prefix) throws StoreException {
    return sealed.list(prefix);
  }

  @Override
  public void delete(String key) throws StoreException {
    inner.delete(key);
  }

  @Override
  public boolean movesInPlace() {
    return inner.movesInPlace();
  }

  /** A sealed object moves as it is, like a copy (its seal does not name its key). */
  @Override
  public ObjectInfo moveInPlace(String fromKey, String toKey) throws StoreException {
    ObjectInfo moved = inner.moveInPlace(fromKey, toKey);
    return moved == null ? null : translate(moved, false);
  }

  @Override
  public boolean movePrefixInPlace(String fromPrefix, String toPrefix) throws StoreException {
    return inner.movePrefixInPlace(fromPrefix, toPrefix);
  }

  @Override
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    return translate(inner.copy(fromKey, toKey), false);
  }

  @Override
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    ObjectInfo now = inner.stat(key);
    boolean sealed = !now.isDirectory() && status(now, false).sealed;
    return translate(inner.updateMetadata(key, sealed ? flagged(metadata) : metadata), false);
  }

  @Override
  public boolean keepsManifests() {
    return inner.keepsManifests();
  }

  @Override
  public StoredManifest readManifest(String key) throws StoreException {
    return inner.readManifest(key);
  }

  /**
   * Kept only when not encrypting: a sidecar holds plaintext digests, which would let the operator confirm
   * a guess of the content (a sealed object carries its digests in its authenticated, encrypted index).
   */
  @Override
  public void writeManifest(StoredManifest m) throws StoreException {
    if (!options.encrypting()) {
      inner.writeManifest(m);
    }
  }

  @Override
  public void deleteManifest(String key) throws StoreException {
    inner.deleteManifest(key);
  }

  @Override
  public List<String> listManifestIds() throws StoreException {
    return inner.listManifestIds();
  }

  @Override
  public StoredManifest readManifestById(String id) throws StoreException {
    return inner.readManifestById(id);
  }

  @Override
  public void deleteManifestById(String id) throws StoreException {
    inner.deleteManifestById(id);
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return "SealingStore[" + describe() + "]";
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (java.io.IOException e) {
      // read-only: nothing to lose
    }
  }
}

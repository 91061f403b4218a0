package org.streamfs.store.s3;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.streamfs.store.Expect;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;
import org.streamfs.store.StoreLimits;
import org.streamfs.store.StoredManifest;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} over any S3-compatible service (AWS, MinIO, Ceph RGW, Garage, S3Proxy) with the AWS SDK
 * v2 sync client. Keys map to {@code prefix + key} in one bucket; versions are ETags; directory markers are
 * zero-byte {@code dir/} objects (as s3fs and rclone write them) and a prefix with children but no marker
 * is a directory too. Multipart uploads, their ledger and the orphan sweep live in {@link S3Uploads}. No
 * retries here: every failure is mapped once by {@link S3Errors}.
 */
public final class S3Store implements ObjectStore {
  /** Objects above this size are copied part by part (CopyObject's limit). */
  static final long COPY_OBJECT_LIMIT = 5L << 30;

  private final S3StoreConfig config;
  private final S3Client client;
  private final S3Errors errors;
  private final S3Uploads uploads;
  private final S3Heads heads;
  private final S3Shapes shapes;
  private final S3Conditions conditions = new S3Conditions(this);
  private final AtomicBoolean closed = new AtomicBoolean();

  /** A store with credentials from the config's profile or the default AWS chain. */
  public S3Store(S3StoreConfig config) {
    this(config, S3Clients.credentials(config));
  }

  /** A store with the given credentials provider (library users, tests). */
  public S3Store(S3StoreConfig config, AwsCredentialsProvider credentials) {
    this.config = config;
    AtomicBoolean dropMpSize = new AtomicBoolean(config.mpObjectSize() == S3StoreConfig.MpObjectSize.OFF);
    this.client = S3Clients.build(config, credentials, dropMpSize);
    this.errors = new S3Errors(config.describe());
    this.uploads = new S3Uploads(this, dropMpSize);
    this.heads = new S3Heads(this);
    this.shapes = new S3Shapes(this);
  }

  /** Opens {@code s3://bucket/prefix?options}; IllegalArgumentException for a bad URI. */
  public static S3Store open(URI uri) {
    return new S3Store(S3StoreConfig.parse(uri));
  }

  S3StoreConfig config() {
    return config;
  }

  S3Client client() {
    return client;
  }

  S3Conditions conditions() {
    return conditions;
  }

  S3Errors errors() {
    return errors;
  }

  String bucket() {
    return config.bucket();
  }

  /** The bucket key of a store key. */
  String full(String key) {
    return config.prefix() + key;
  }

  /** The store key of a bucket key below the prefix. */
  String rel(String fullKey) {
    return fullKey.substring(config.prefix().length());
  }

  /** True for bucket keys in the store's own bookkeeping area (the upload ledger). */
  boolean reserved(String fullKey) {
    return fullKey.startsWith(config.prefix() + StoreKeys.RESERVED_PREFIX + "/");
  }

  @Override
  public String describe() {
    return config.describe();
  }

  @Override
  public StoreLimits limits() {
    return new StoreLimits(5L << 20, 5L << 30, 10_000);
  }

  @Override
  public void checkAccess() throws StoreException {
    try {
      client.headBucket(b -> b.bucket(bucket()));
    } catch (SdkException e) {
      if (S3Errors.status(e, 404)) {
        throw new StoreException(StoreException.Kind.NOT_FOUND, null, "bucket '" + bucket()
            + "' does not exist at " + where(), e);
      }
      if (S3Errors.status(e, 403) || S3Errors.status(e, 400)) {
        // HEAD has no error body: ask once more with a GET to name the cause (wrong secret, unknown key id).
        try {
          client.listObjectsV2(b -> b.bucket(bucket()).prefix(config.prefix()).maxKeys(1));
        } catch (SdkException detailed) {
          throw errors.map("check access to bucket '" + bucket() + "'", null, detailed);
        }
      }
      throw errors.map("check access to bucket '" + bucket() + "'", null, e);
    }
  }

  private String where() {
    return config.endpoint() == null ? "AWS S3" : config.endpoint().toString();
  }

  @Override
  public ObjectInfo stat(String key) throws StoreException {
    StoreKeys.validate(key);
    try {
      HeadObjectResponse h = key.endsWith("/") ? shapes.marker(key)
          : client.headObject(b -> b.bucket(bucket()).key(full(key)));
      if (h != null) {
        return info(key, h);
      }
    } catch (SdkException e) {
      StoreException se = errors.map("stat", key, e);
      if (!S3Errors.status(e, 500) || !shapes.underAFile(key)) {
        throw se;
      }
    }
    if (key.endsWith("/") && hasChildren(key)) {
      return new ObjectInfo(key, 0, "", Instant.EPOCH, Map.of());
    }
    throw StoreException.notFound(key);
  }

  private boolean hasChildren(String dirKey) throws StoreException {
    try {
      return client.listObjectsV2(b -> b.bucket(bucket()).prefix(full(dirKey)).maxKeys(1)).keyCount() > 0;
    } catch (SdkException e) {
      throw errors.map("list", dirKey, e);
    }
  }

  ObjectInfo info(String key, HeadObjectResponse h) {
    return new ObjectInfo(key, h.contentLength(), S3Meta.version(h.eTag()), h.lastModified(),
        S3Meta.fromS3(h.metadata()));
  }

  @Override
  public Listing list(String prefix, String delimiter) throws StoreException {
    StoreKeys.validatePrefix(prefix);
    String fullPrefix = full(prefix);
    List<ObjectInfo> objects = new ArrayList<>();
    List<String> dirs = new ArrayList<>();
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder rb = ListObjectsV2Request.builder().bucket(bucket()).prefix(fullPrefix)
            .maxKeys(pageSize());
        if (delimiter != null) {
          rb.delimiter(delimiter);
        }
        if (token != null) {
          rb.continuationToken(token);
        }
        ListObjectsV2Response page = client.listObjectsV2(rb.build());
        for (S3Object o : page.contents()) {
          boolean markerOfPrefix = o.key().equals(fullPrefix) && o.key().endsWith("/");
          if (markerOfPrefix || reserved(o.key()) || !o.key().startsWith(config.prefix())) {
            continue;
          }
          objects.add(new ObjectInfo(rel(o.key()), o.size(), S3Meta.version(o.eTag()), o.lastModified(),
              Map.of()));
        }
        for (CommonPrefix p : page.commonPrefixes()) {
          if (!reserved(p.prefix())) {
            dirs.add(rel(p.prefix()));
          }
        }
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw errors.map("list", prefix, e);
    }
    objects.sort(Comparator.comparing(ObjectInfo::key));
    dirs.sort(Comparator.naturalOrder());
    return new Listing(config.listMetadata() ? heads.withMetadata(objects) : objects, dirs);
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    StoreKeys.validate(key);
    if (offset < 0) {
      throw new StoreException(StoreException.Kind.PERMANENT, key, "read: negative offset " + offset);
    }
    if (length == 0) {
      checkVersion(key, ifVersion);
      return new ByteArrayInputStream(new byte[0]);
    }
    GetObjectRequest.Builder rb = GetObjectRequest.builder().bucket(bucket()).key(full(key));
    if (offset > 0 || length > 0) {
      rb.range("bytes=" + offset + "-" + (length > 0 ? Long.toString(offset + length - 1) : ""));
    }
    if (ifVersion != null) {
      rb.ifMatch(S3Meta.etag(ifVersion));
    }
    try {
      return new S3ObjectStream(client.getObject(rb.build()));
    } catch (SdkException e) {
      if (S3Errors.status(e, 416)) {
        checkVersion(key, ifVersion); // the range starts past the end: an empty read of an existing object
        return new ByteArrayInputStream(new byte[0]);
      }
      if (S3Errors.status(e, 500) && shapes.underAFile(key)) {
        throw StoreException.notFound(key);
      }
      throw errors.map("read", key, e);
    }
  }

  private void checkVersion(String key, String ifVersion) throws StoreException {
    ObjectInfo info = stat(key);
    if (ifVersion != null && !ifVersion.equals(info.version())) {
      throw new StoreException(StoreException.Kind.PRECONDITION_FAILED, key, "read: object changed (version "
          + info.version() + ", expected " + ifVersion + ")");
    }
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    StoreKeys.validate(key);
    if (key.endsWith("/") && data.length > 0) {
      throw new StoreException(StoreException.Kind.PERMANENT, key, "a directory marker cannot hold data");
    }
    conditions.checkBefore(key, expect);
    PutObjectRequest.Builder rb = PutObjectRequest.builder().bucket(bucket()).key(full(key))
        .contentLength((long) data.length).contentType(S3Meta.contentType(key)).metadata(meta(key, metadata));
    if (config.checksum() == S3StoreConfig.Checksum.SHA256) {
      rb.checksumSHA256(S3Meta.b64(digest("SHA-256", ByteBuffer.wrap(data))));
    } else {
      rb.contentMD5(S3Meta.b64(digest("MD5", ByteBuffer.wrap(data))));
    }
    conditions.apply(rb, expect);
    try {
      PutObjectResponse r = client.putObject(rb.build(), RequestBody.fromBytes(data));
      return new ObjectInfo(key, data.length, S3Meta.version(r.eTag()), Instant.now(),
          metadata == null ? Map.of() : metadata);
    } catch (SdkException e) {
      throw conditions.map(key, expect, errors.map("put", key, e));
    }
  }

  Map<String, String> meta(String key, Map<String, String> metadata) throws StoreException {
    try {
      return S3Meta.toS3(metadata);
    } catch (IllegalArgumentException e) {
      throw new StoreException(StoreException.Kind.PERMANENT, key, e.getMessage());
    }
  }

  static byte[] digest(String algorithm, ByteBuffer data) {
    try {
      MessageDigest md = MessageDigest.getInstance(algorithm);
      md.update(data.duplicate());
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " missing from the JDK", e);
    }
  }

  @Override
  public void delete(String key) throws StoreException {
    StoreKeys.validate(key);
    try {
      if (key.endsWith("/") && shapes.marker(key) == null) {
        return; // no marker (and never the file without the slash, which some servers alias)
      }
      client.deleteObject(b -> b.bucket(bucket()).key(full(key)));
    } catch (SdkException e) {
      if (!S3Errors.missingKey(e)) {
        throw errors.map("delete", key, e);
      }
    }
  }

  /** Sidecar manifests: {@code <prefix>.streamfs/manifests/<sidecar id>}, hidden with the upload ledger. */
  private static final String MANIFESTS = StoreKeys.RESERVED_PREFIX + "/manifests/";

  @Override
  public boolean keepsManifests() {
    return true;
  }

  @Override
  public StoredManifest readManifest(String key) throws StoreException {
    StoreKeys.validate(key);
    return readManifestById(StoredManifest.sidecarId(key));
  }

  @Override
  public StoredManifest readManifestById(String id) throws StoreException {
    if (!StoredManifest.isSidecarId(id)) {
      return null;
    }
    try {
      byte[] body = client.getObjectAsBytes(b -> b.bucket(bucket()).key(full(MANIFESTS + id))).asByteArray();
      return StoredManifest.parse(body);
    } catch (SdkException e) {
      if (S3Errors.missingKey(e) || S3Errors.status(e, 404)) {
        return null;
      }
      throw errors.map("read manifest", id, e);
    }
  }

  /** One PutObject: S3 makes it visible whole, replacing the previous sidecar. */
  @Override
  public void writeManifest(StoredManifest m) throws StoreException {
    StoreKeys.validate(m.key());
    byte[] body = m.toJson();
    try {
      client.putObject(b -> b.bucket(bucket()).key(full(MANIFESTS + StoredManifest.sidecarId(m.key())))
          .contentType("application/json").contentLength((long) body.length)
          .contentMD5(S3Meta.b64(digest("MD5", ByteBuffer.wrap(body)))), RequestBody.fromBytes(body));
    } catch (SdkException e) {
      throw errors.map("write manifest", m.key(), e);
    }
  }

  @Override
  public void deleteManifest(String key) throws StoreException {
    StoreKeys.validate(key);
    deleteManifestById(StoredManifest.sidecarId(key));
  }

  @Override
  public void deleteManifestById(String id) throws StoreException {
    if (!StoredManifest.isSidecarId(id)) {
      return;
    }
    try {
      client.deleteObject(b -> b.bucket(bucket()).key(full(MANIFESTS + id)));
    } catch (SdkException e) {
      if (!S3Errors.missingKey(e)) {
        throw errors.map("delete manifest", id, e);
      }
    }
  }

  @Override
  public List<String> listManifestIds() throws StoreException {
    List<String> out = new ArrayList<>();
    String fullPrefix = full(MANIFESTS);
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder rb = ListObjectsV2Request.builder().bucket(bucket()).prefix(fullPrefix)
            .maxKeys(pageSize());
        if (token != null) {
          rb.continuationToken(token);
        }
        ListObjectsV2Response page = client.listObjectsV2(rb.build());
        for (S3Object o : page.contents()) {
          String id = o.key().substring(fullPrefix.length());
          if (StoredManifest.isSidecarId(id)) {
            out.add(id);
          }
        }
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw errors.map("list manifests", null, e);
    }
    out.sort(null);
    return out;
  }

  @Override
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    StoreKeys.validate(fromKey);
    StoreKeys.validate(toKey);
    return copyOrReplace(fromKey, toKey, null);
  }

  @Override
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    StoreKeys.validate(key);
    return copyOrReplace(key, key, metadata == null ? Map.of() : metadata);
  }

  /** CopyObject (keeping or replacing metadata), or a multipart copy above {@link #copyLimit()}. */
  private ObjectInfo copyOrReplace(String fromKey, String toKey, Map<String, String> newMeta)
      throws StoreException {
    ObjectInfo src = stat(fromKey);
    if (src.version().isEmpty()) {
      throw new StoreException(StoreException.Kind.NOT_FOUND, fromKey, "copy: directory without a marker");
    }
    Map<String, String> meta = newMeta == null ? src.metadata() : newMeta;
    if (src.size() > copyLimit()) {
      return uploads.copyLarge(src, toKey, meta);
    }
    String op = newMeta == null ? "copy to " + toKey : "update metadata";
    try {
      CopyObjectResponse r = client.copyObject(b -> {
        b.sourceBucket(bucket()).sourceKey(full(fromKey)).destinationBucket(bucket()).destinationKey(full(toKey))
            .copySourceIfMatch(S3Meta.etag(src.version()));
        if (newMeta != null) {
          b.metadataDirective(MetadataDirective.REPLACE).contentType(S3Meta.contentType(toKey))
              .metadata(S3Meta.toS3(newMeta));
        }
      });
      return new ObjectInfo(toKey, src.size(), S3Meta.version(r.copyObjectResult().eTag()),
          r.copyObjectResult().lastModified(), meta);
    } catch (IllegalArgumentException e) {
      throw new StoreException(StoreException.Kind.PERMANENT, toKey, e.getMessage());
    } catch (SdkException e) {
      throw errors.map(op, fromKey, e);
    }
  }

  /** Tests only: a small page size (keys, uploads, parts per listing request) to exercise pagination. */
  volatile int pageSizeOverride;

  /** Entries per listing request: S3's maximum (1000) unless a test lowers it. */
  int pageSize() {
    return pageSizeOverride > 0 ? pageSizeOverride : 1000;
  }

  /** Tests only: lower the CopyObject limit to exercise the multipart copy with small objects. */
  volatile long copyLimitOverride;

  /** The size above which copies go part by part; a method so tests can lower it. */
  long copyLimit() {
    return copyLimitOverride > 0 ? copyLimitOverride : COPY_OBJECT_LIMIT;
  }

  @Override
  public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
    StoreKeys.validate(key);
    return uploads.begin(key, metadata, config.checksum() == S3StoreConfig.Checksum.SHA256);
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    StoreKeys.validate(key);
    return uploads.uploadPart(key, uploadId, partNumber, data, sha256);
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    StoreKeys.validate(key);
    StoreKeys.validate(sourceKey);
    return uploads.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length,
        config.checksum() == S3StoreConfig.Checksum.SHA256);
  }

  @Override
  public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    StoreKeys.validate(key);
    return uploads.listParts(key, uploadId);
  }

  @Override
  public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts, Expect expect)
      throws StoreException {
    StoreKeys.validate(key);
    conditions.checkBefore(key, expect);
    return uploads.complete(key, uploadId, parts, expect);
  }

  @Override
  public void abortUpload(String key, String uploadId) throws StoreException {
    StoreKeys.validate(key);
    uploads.abort(key, uploadId);
  }

  @Override
  public List<PendingUpload> listUploads(String prefix) throws StoreException {
    StoreKeys.validatePrefix(prefix);
    return uploads.ledger().list(prefix);
  }

  /**
   * Aborts the unfinished multipart uploads that this tool started under the store's prefix more than
   * {@code olderThan} ago (never other tools' uploads) and forgets stale ledger entries; returns how many
   * uploads were aborted.
   */
  public int sweepOrphanUploads(Duration olderThan) throws StoreException {
    return uploads.ledger().sweep(olderThan);
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    heads.close();
    client.close();
  }

  @Override
  public String toString() {
    return describe();
  }
}

package org.streamfs.store.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyPartResult;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The multipart half of {@link S3Store}: begin, parts (SHA-256 header or Content-MD5), server-side part
 * copies, the list of parts the server really holds, complete and abort, and the ledger that tells this
 * tool's uploads from other tools' in the same bucket. The ledger is one small object per open upload at
 * {@code prefix/.streamfs/uploads/<sha256(uploadId)>} (body: upload id and key), written right after
 * CreateMultipartUpload and removed at complete/abort; S3 keeps no other per-upload mark that ListMultipartUploads
 * would return. Existence of an upload is always asked of ListMultipartUploads, because some servers
 * (S3Proxy) answer ListParts for an unknown id with an empty list.
 */
final class S3Uploads {
  private static final Logger LOG = LoggerFactory.getLogger(S3Uploads.class);
  private static final String LEDGER = StoreKeys.RESERVED_PREFIX + "/uploads/";

  private final S3Store store;
  private final S3Client client;
  private final S3Errors errors;
  private final AtomicBoolean dropMpSize;
  /** Upload ids confirmed open, with when (System.nanoTime). */
  private final Map<String, Long> verified = new ConcurrentHashMap<>();
  private static final long RECHECK_NANOS = 30_000_000_000L;

  S3Uploads(S3Store store, AtomicBoolean dropMpSize) {
    this.store = store;
    this.client = store.client();
    this.errors = store.errors();
    this.dropMpSize = dropMpSize;
  }

  private String bucket() {
    return store.bucket();
  }

  private String ledgerKey(String uploadId) {
    byte[] h = S3Store.digest("SHA-256", ByteBuffer.wrap(uploadId.getBytes(StandardCharsets.UTF_8)));
    return store.full(LEDGER) + HexFormat.of().formatHex(h, 0, 20);
  }

  String begin(String key, Map<String, String> metadata, boolean sha256) throws StoreException {
    CreateMultipartUploadRequest.Builder rb = CreateMultipartUploadRequest.builder().bucket(bucket())
        .key(store.full(key)).contentType(S3Meta.contentType(key)).metadata(store.meta(key, metadata));
    if (sha256) {
      rb.checksumAlgorithm(ChecksumAlgorithm.SHA256);
    }
    String uploadId;
    try {
      uploadId = client.createMultipartUpload(rb.build()).uploadId();
    } catch (SdkException e) {
      throw errors.map("begin upload", key, e);
    }
    try {
      byte[] body = (uploadId + "\n" + key + "\n").getBytes(StandardCharsets.UTF_8);
      client.putObject(b -> b.bucket(bucket()).key(ledgerKey(uploadId)).contentType("text/plain")
          .contentLength((long) body.length), RequestBody.fromBytes(body));
    } catch (SdkException e) {
      StoreException se = errors.map("begin upload (ledger)", key, e);
      try {
        client.abortMultipartUpload(b -> b.bucket(bucket()).key(store.full(key)).uploadId(uploadId));
      } catch (SdkException ignored) {
        se.addSuppressed(ignored);
      }
      throw se;
    }
    return uploadId;
  }

  PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    checkPartNumber(key, partNumber);
    checkExists(key, uploadId);
    byte[] sum = sha256 != null ? sha256 : S3Store.digest("SHA-256", data);
    long size = data.remaining();
    UploadPartRequest.Builder rb = UploadPartRequest.builder().bucket(bucket()).key(store.full(key))
        .uploadId(uploadId).partNumber(partNumber).contentLength(size);
    if (store.config().checksum() == S3StoreConfig.Checksum.SHA256) {
      rb.checksumSHA256(S3Meta.b64(sum));
    } else {
      rb.contentMD5(S3Meta.b64(S3Store.digest("MD5", data)));
    }
    try {
      UploadPartResponse r = client.uploadPart(rb.build(), S3Meta.body(data, S3Meta.FILE_CONTENT_TYPE));
      String echoed = S3Meta.b64ToHex(r.checksumSHA256());
      if (echoed != null && !echoed.equals(S3Meta.hex(sum))) {
        throw new StoreException(Kind.CHECKSUM, key, "upload part " + partNumber + ": server computed SHA-256 "
            + echoed + ", sent " + S3Meta.hex(sum));
      }
      return new PartReceipt(partNumber, size, S3Meta.version(r.eTag()), S3Meta.hex(sum));
    } catch (SdkException e) {
      throw errors.map("upload part " + partNumber, key, e);
    }
  }

  /**
   * UploadPartCopy of {@code [offset, offset+length)}, pinned to the source version (asked once if not given).
   * With {@code needSha256} and a server that does not report the copied part's checksum (S3Proxy), the range
   * is read back at that version and hashed, because a SHA-256 upload completes only with every part's sum.
   */
  PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey, String sourceVersion,
      long offset, long length, boolean needSha256) throws StoreException {
    checkPartNumber(key, partNumber);
    if (offset < 0 || length <= 0) {
      throw new StoreException(Kind.PERMANENT, key, "copy part range must be offset >= 0, length > 0: "
          + offset + "+" + length);
    }
    checkExists(key, uploadId);
    String version = sourceVersion != null ? sourceVersion : store.stat(sourceKey).version();
    CopyPartResult r;
    try {
      r = client.uploadPartCopy(b -> b.sourceBucket(bucket()).sourceKey(store.full(sourceKey))
          .destinationBucket(bucket()).destinationKey(store.full(key)).uploadId(uploadId).partNumber(partNumber)
          .copySourceRange("bytes=" + offset + "-" + (offset + length - 1))
          .copySourceIfMatch(S3Meta.etag(version))).copyPartResult();
    } catch (SdkException e) {
      throw errors.map("copy part " + partNumber + " from " + sourceKey, key, e);
    }
    String sha = S3Meta.b64ToHex(r.checksumSHA256());
    if (sha == null && needSha256) {
      sha = rangeSha256(sourceKey, version, offset, length);
    }
    return new PartReceipt(partNumber, length, S3Meta.version(r.eTag()), sha);
  }

  private String rangeSha256(String key, String version, long offset, long length) throws StoreException {
    MessageDigest md = sha256();
    long got = 0;
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = store.read(key, offset, length, version)) {
      for (int n; (n = in.read(buf)) > 0; got += n) {
        md.update(buf, 0, n);
      }
    } catch (StoreException e) {
      throw e;
    } catch (IOException e) {
      throw new StoreException(Kind.TRANSIENT, key, "reading back a copied range failed: " + e, e);
    }
    if (got != length) {
      throw new StoreException(Kind.PERMANENT, key, "copy part range " + offset + "+" + length
          + " is past the end of the source (" + got + " bytes there)");
    }
    return S3Meta.hex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkPartNumber(String key, int partNumber) throws StoreException {
    if (partNumber < 1 || partNumber > 10_000) {
      throw new StoreException(Kind.PERMANENT, key, "part number " + partNumber + " outside 1..10000");
    }
  }

  /** The open upload with this id at this key, or null (ListMultipartUploads, paginated). */
  private MultipartUpload find(String key, String uploadId) throws StoreException {
    for (MultipartUpload u : listRaw(store.full(key), "find upload", key)) {
      if (u.uploadId().equals(uploadId) && u.key().equals(store.full(key))) {
        return u;
      }
    }
    return null;
  }

  /**
   * NOT_FOUND unless the upload is open: asked of ListMultipartUploads at most every {@link #RECHECK_NANOS}
   * per upload id (servers such as S3Proxy accept parts for an aborted upload); forgotten at complete/abort.
   */
  private void checkExists(String key, String uploadId) throws StoreException {
    Long seen = verified.get(uploadId);
    if (seen != null && System.nanoTime() - seen < RECHECK_NANOS) {
      return;
    }
    if (find(key, uploadId) == null) {
      verified.remove(uploadId);
      throw new StoreException(Kind.NOT_FOUND, key, "upload " + uploadId + " not found (completed, aborted "
          + "or expired)");
    }
    verified.put(uploadId, System.nanoTime());
  }

  List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    verified.remove(uploadId);
    checkExists(key, uploadId);
    List<PartReceipt> out = new ArrayList<>();
    Integer marker = null;
    try {
      while (true) {
        Integer m = marker;
        ListPartsResponse page = client.listParts(b -> {
          b.bucket(bucket()).key(store.full(key)).uploadId(uploadId);
          if (m != null) {
            b.partNumberMarker(m);
          }
        });
        for (Part p : page.parts()) {
          out.add(new PartReceipt(p.partNumber(), p.size(), S3Meta.version(p.eTag()),
              S3Meta.b64ToHex(p.checksumSHA256())));
        }
        Integer next = page.nextPartNumberMarker();
        if (!Boolean.TRUE.equals(page.isTruncated()) || next == null || next.equals(marker)) {
          break;
        }
        marker = next;
      }
    } catch (SdkException e) {
      throw errors.map("list parts of " + uploadId, key, e);
    }
    out.sort((a, b) -> Integer.compare(a.partNumber(), b.partNumber()));
    return out;
  }

  ObjectInfo complete(String key, String uploadId, List<PartReceipt> parts) throws StoreException {
    if (parts.isEmpty()) {
      throw new StoreException(Kind.PERMANENT, key, "complete upload: no parts (an empty object is a put)");
    }
    List<CompletedPart> wire = new ArrayList<>();
    long total = 0;
    int last = 0;
    for (PartReceipt p : parts) {
      if (p.partNumber() <= last) {
        throw new StoreException(Kind.PERMANENT, key, "complete upload: part numbers must ascend, got "
            + p.partNumber() + " after " + last);
      }
      last = p.partNumber();
      total += p.size();
      wire.add(CompletedPart.builder().partNumber(p.partNumber()).eTag(p.etag() == null ? null : S3Meta.etag(p.etag()))
          .checksumSHA256(S3Meta.hexToB64(p.sha256Hex())).build());
    }
    long size = total;
    verified.remove(uploadId);
    CompleteMultipartUploadResponse r;
    try {
      r = callComplete(key, uploadId, wire, size);
    } catch (SdkException e) {
      throw errors.map("complete upload " + uploadId, key, e);
    }
    forgetLedger(uploadId);
    try {
      return store.info(key, client.headObject(b -> b.bucket(bucket()).key(store.full(key))));
    } catch (SdkException e) {
      LOG.warn("completed {} but could not stat it: {}", key, e.toString());
      return new ObjectInfo(key, size, S3Meta.version(r.eTag()), Instant.now(), Map.of());
    }
  }

  private CompleteMultipartUploadResponse callComplete(String key, String uploadId, List<CompletedPart> wire,
      long size) {
    boolean sentSize = !dropMpSize.get();
    try {
      return client.completeMultipartUpload(b -> b.bucket(bucket()).key(store.full(key)).uploadId(uploadId)
          .mpuObjectSize(size).multipartUpload(m -> m.parts(wire)));
    } catch (SdkException e) {
      if (sentSize && S3Errors.status(e, 501)
          && store.config().mpObjectSize() == S3StoreConfig.MpObjectSize.AUTO) {
        LOG.info("{} rejects {} (501): completing without it from now on", store.describe(),
            S3Clients.MP_OBJECT_SIZE_HEADER);
        dropMpSize.set(true);
        return client.completeMultipartUpload(b -> b.bucket(bucket()).key(store.full(key)).uploadId(uploadId)
            .mpuObjectSize(size).multipartUpload(m -> m.parts(wire)));
      }
      throw e;
    }
  }

  void abort(String key, String uploadId) throws StoreException {
    verified.remove(uploadId);
    try {
      client.abortMultipartUpload(b -> b.bucket(bucket()).key(store.full(key)).uploadId(uploadId));
    } catch (SdkException e) {
      StoreException se = errors.map("abort upload " + uploadId, key, e);
      if (se.kind() != Kind.NOT_FOUND || se.getMessage().contains("bucket does not exist")) {
        throw se;
      }
    }
    forgetLedger(uploadId);
  }

  private void forgetLedger(String uploadId) {
    try {
      client.deleteObject(b -> b.bucket(bucket()).key(ledgerKey(uploadId)));
    } catch (SdkException e) {
      LOG.warn("could not remove ledger entry of upload {} (the sweep will): {}", uploadId, e.toString());
    }
  }

  List<PendingUpload> list(String prefix) throws StoreException {
    Map<String, Instant> ours = ledger();
    List<PendingUpload> out = new ArrayList<>();
    for (MultipartUpload u : listRaw(store.full(prefix), "list uploads", prefix)) {
      if (ours.containsKey(ledgerKey(u.uploadId())) && u.key().startsWith(store.config().prefix())) {
        out.add(new PendingUpload(store.rel(u.key()), u.uploadId(), u.initiated()));
      }
    }
    return out;
  }

  int sweep(Duration olderThan) throws StoreException {
    Instant cutoff = Instant.now().minus(olderThan);
    int aborted = 0;
    for (PendingUpload u : list("")) {
      if (u.initiated() == null || u.initiated().isBefore(cutoff)) {
        abort(u.key(), u.uploadId());
        aborted++;
      }
    }
    // Ledger entries whose upload is gone (completed or aborted while the ledger delete failed).
    Map<String, Instant> ledger = ledger();
    for (MultipartUpload u : listRaw(store.config().prefix(), "list uploads", "")) {
      ledger.remove(ledgerKey(u.uploadId()));
    }
    for (Map.Entry<String, Instant> e : ledger.entrySet()) {
      if (e.getValue().isBefore(cutoff)) {
        try {
          client.deleteObject(b -> b.bucket(bucket()).key(e.getKey()));
        } catch (SdkException ex) {
          throw errors.map("sweep ledger", null, ex);
        }
      }
    }
    return aborted;
  }

  /** Ledger entries (bucket key → written at). */
  private Map<String, Instant> ledger() throws StoreException {
    Map<String, Instant> out = new HashMap<>();
    String token = null;
    try {
      do {
        String t = token;
        ListObjectsV2Response page = client.listObjectsV2(b -> {
          b.bucket(bucket()).prefix(store.full(LEDGER));
          if (t != null) {
            b.continuationToken(t);
          }
        });
        for (S3Object o : page.contents()) {
          out.put(o.key(), o.lastModified());
        }
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw errors.map("list upload ledger", null, e);
    }
    return out;
  }

  /** All open uploads whose bucket key starts with {@code fullPrefix} (ListMultipartUploads, paginated). */
  private List<MultipartUpload> listRaw(String fullPrefix, String op, String key) throws StoreException {
    List<MultipartUpload> out = new ArrayList<>();
    String keyMarker = null;
    String idMarker = null;
    try {
      while (true) {
        String km = keyMarker;
        String im = idMarker;
        ListMultipartUploadsResponse page = client.listMultipartUploads(b -> {
          b.bucket(bucket()).prefix(fullPrefix);
          if (km != null) {
            b.keyMarker(km);
          }
          if (im != null) {
            b.uploadIdMarker(im);
          }
        });
        out.addAll(page.uploads());
        if (!Boolean.TRUE.equals(page.isTruncated()) || page.nextKeyMarker() == null
            || (page.nextKeyMarker().equals(km) && String.valueOf(page.nextUploadIdMarker()).equals(im))) {
          break;
        }
        keyMarker = page.nextKeyMarker();
        idMarker = page.nextUploadIdMarker();
      }
    } catch (SdkException e) {
      throw errors.map(op, key, e);
    }
    return out;
  }

  /** Server-side copy of an object too large for CopyObject, part by part into a new upload. */
  ObjectInfo copyLarge(ObjectInfo src, String toKey, Map<String, String> meta) throws StoreException {
    long min = store.limits().minPartSize();
    long partSize = Math.max(Math.min(512L << 20, store.copyLimit()), -Math.floorDiv(-src.size(), 10_000L));
    partSize = Math.max(partSize, min);
    String uploadId = begin(toKey, meta, false);
    try {
      List<PartReceipt> parts = new ArrayList<>();
      int n = 1;
      for (long off = 0; off < src.size(); off += partSize, n++) {
        parts.add(copyPart(toKey, uploadId, n, src.key(), src.version(), off, Math.min(partSize,
            src.size() - off), false));
      }
      List<PartReceipt> plain = parts.stream()
          .map(p -> new PartReceipt(p.partNumber(), p.size(), p.etag(), null)).toList();
      return complete(toKey, uploadId, plain);
    } catch (StoreException | RuntimeException e) {
      try {
        abort(toKey, uploadId);
      } catch (StoreException abortFailed) {
        e.addSuppressed(abortFailed);
      }
      throw e;
    }
  }
}

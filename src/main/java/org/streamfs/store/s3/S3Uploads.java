package org.streamfs.store.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyPartResult;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The multipart half of {@link S3Store}: begin, parts (SHA-256 header or Content-MD5), server-side part
 * copies, the list of parts the server really holds, complete and abort, and the multipart copy of objects
 * too large for CopyObject. Each upload is recorded in the {@link S3Ledger}. Existence of an upload is always
 * asked of ListMultipartUploads, because some servers (S3Proxy) answer ListParts for an unknown id with an
 * empty list and accept parts for an aborted one.
 */
final class S3Uploads {
  private static final Logger LOG = LoggerFactory.getLogger(S3Uploads.class);

  private final S3Store store;
  private final S3Client client;
  private final S3Errors errors;
  private final AtomicBoolean dropMpSize;
  private final S3Ledger ledger;
  /** Upload ids confirmed open, with when (System.nanoTime). */
  private final Map<String, Long> verified = new ConcurrentHashMap<>();
  private static final long RECHECK_NANOS = 30_000_000_000L;

  S3Uploads(S3Store store, AtomicBoolean dropMpSize) {
    this.store = store;
    this.client = store.client();
    this.errors = store.errors();
    this.dropMpSize = dropMpSize;
    this.ledger = new S3Ledger(store, this);
  }

  S3Ledger ledger() {
    return ledger;
  }

  private String bucket() {
    return store.bucket();
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
      ledger.record(uploadId, key);
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

  /**
   * NOT_FOUND unless the upload is open: asked of ListMultipartUploads at most every {@link #RECHECK_NANOS}
   * per upload id (servers such as S3Proxy accept parts for an aborted upload); forgotten at complete/abort.
   */
  private void checkExists(String key, String uploadId) throws StoreException {
    Long seen = verified.get(uploadId);
    if (seen != null && System.nanoTime() - seen < RECHECK_NANOS) {
      return;
    }
    if (ledger.find(key, uploadId) == null) {
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
          b.bucket(bucket()).key(store.full(key)).uploadId(uploadId).maxParts(store.pageSize());
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

  ObjectInfo complete(String key, String uploadId, List<PartReceipt> parts, Expect expect) throws StoreException {
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
      wire.add(CompletedPart.builder().partNumber(p.partNumber())
          .eTag(p.etag() == null ? null : S3Meta.etag(p.etag()))
          .checksumSHA256(S3Meta.hexToB64(p.sha256Hex())).build());
    }
    long size = total;
    verified.remove(uploadId);
    CompleteMultipartUploadResponse r;
    try {
      r = callComplete(key, uploadId, wire, size, expect);
    } catch (SdkException e) {
      ObjectInfo earlier = S3Errors.missingKey(e) || S3Errors.status(e, 412) ? completedEarlier(key, parts, size)
          : null;
      if (earlier == null) {
        throw store.conditions().map(key, expect, errors.map("complete upload " + uploadId, key, e));
      }
      LOG.info("upload {} of {} had already completed (an earlier answer was lost)", uploadId, key);
      ledger.forget(uploadId);
      return earlier;
    }
    ledger.forget(uploadId);
    try {
      return store.info(key, client.headObject(b -> b.bucket(bucket()).key(store.full(key))));
    } catch (SdkException e) {
      LOG.warn("completed {} but could not stat it: {}", key, e.toString());
      return new ObjectInfo(key, size, S3Meta.version(r.eTag()), Instant.now(), Map.of());
    }
  }

  /**
   * After NoSuchUpload on complete: the object at the key, if it is exactly what these parts make (a retried
   * complete whose first answer was lost). S3 and S3Proxy give a multipart object the ETag
   * {@code md5(part md5s)-N}, which the part ETags determine; else null.
   */
  private ObjectInfo completedEarlier(String key, List<PartReceipt> parts, long size) throws StoreException {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (PartReceipt p : parts) {
      if (p.etag() == null || !p.etag().matches("[0-9a-fA-F]{32}")) {
        return null;
      }
      md5.update(HexFormat.of().parseHex(p.etag()));
    }
    String expected = S3Meta.hex(md5.digest()) + "-" + parts.size();
    try {
      ObjectInfo now = store.info(key, client.headObject(b -> b.bucket(bucket()).key(store.full(key))));
      return now.size() == size && expected.equalsIgnoreCase(now.version()) ? now : null;
    } catch (SdkException e) {
      return null;
    }
  }

  private CompleteMultipartUploadResponse callComplete(String key, String uploadId, List<CompletedPart> wire,
      long size, Expect expect) {
    boolean sentSize = !dropMpSize.get();
    S3Conditions conditions = store.conditions();
    try {
      return client.completeMultipartUpload(b -> conditions.apply(b.bucket(bucket()).key(store.full(key))
          .uploadId(uploadId).mpuObjectSize(size).multipartUpload(m -> m.parts(wire)), expect));
    } catch (SdkException e) {
      if (sentSize && S3Errors.status(e, 501)
          && store.config().mpObjectSize() == S3StoreConfig.MpObjectSize.AUTO) {
        LOG.info("{} rejects {} (501): completing without it from now on", store.describe(),
            S3Clients.MP_OBJECT_SIZE_HEADER);
        dropMpSize.set(true);
        return client.completeMultipartUpload(b -> conditions.apply(b.bucket(bucket()).key(store.full(key))
            .uploadId(uploadId).mpuObjectSize(size).multipartUpload(m -> m.parts(wire)), expect));
      }
      throw e;
    }
  }

  void abort(String key, String uploadId) throws StoreException {
    verified.remove(uploadId);
    try {
      client.abortMultipartUpload(b -> b.bucket(bucket()).key(store.full(key)).uploadId(uploadId));
    } catch (SdkException e) {
      if (!S3Errors.missingKey(e)) {
        throw errors.map("abort upload " + uploadId, key, e);
      }
    }
    ledger.forget(uploadId);
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
      return complete(toKey, uploadId, plain, Expect.ANY);
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

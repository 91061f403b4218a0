package org.streamfs.store.s3;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Which open multipart uploads are this tool's: one small object per upload at
 * {@code prefix/.streamfs/uploads/<first 20 bytes of sha256(uploadId), hex>} (body: upload id and key),
 * written right after CreateMultipartUpload and removed at complete/abort. S3 keeps no other per-upload mark
 * that ListMultipartUploads returns, and other tools (s3fs, rclone, the AWS CLI) may leave uploads in the same
 * bucket: {@link #list} and {@link #sweep} only ever see and abort uploads found both here and in
 * ListMultipartUploads. Also owns the paginated ListMultipartUploads walk, which is the truth about whether
 * an upload is still open.
 */
final class S3Ledger {
  private static final Logger LOG = LoggerFactory.getLogger(S3Ledger.class);
  private static final String LEDGER = StoreKeys.RESERVED_PREFIX + "/uploads/";

  private final S3Store store;
  private final S3Uploads uploads;
  private final S3Client client;
  private final S3Errors errors;

  S3Ledger(S3Store store, S3Uploads uploads) {
    this.store = store;
    this.uploads = uploads;
    this.client = store.client();
    this.errors = store.errors();
  }

  private String bucket() {
    return store.bucket();
  }

  /** Writes the ledger entry of a just-created upload. */
  void record(String uploadId, String key) {
    byte[] body = (uploadId + "\n" + key + "\n").getBytes(StandardCharsets.UTF_8);
    client.putObject(b -> b.bucket(bucket()).key(ledgerKey(uploadId)).contentType("text/plain")
        .contentLength((long) body.length), RequestBody.fromBytes(body));
  }

  /** The bucket key of an upload's ledger entry. */
  String ledgerKey(String uploadId) {
    byte[] h = S3Store.digest("SHA-256", ByteBuffer.wrap(uploadId.getBytes(StandardCharsets.UTF_8)));
    return store.full(LEDGER) + HexFormat.of().formatHex(h, 0, 20);
  }

  /** Removes an upload's entry; a failure is only logged (the sweep removes stale entries later). */
  void forget(String uploadId) {
    try {
      client.deleteObject(b -> b.bucket(bucket()).key(ledgerKey(uploadId)));
    } catch (SdkException e) {
      LOG.warn("could not remove ledger entry of upload {} (the sweep will): {}", uploadId, e.toString());
    }
  }

  /** The open upload with this id at this key, or null (ListMultipartUploads, paginated). */
  MultipartUpload find(String key, String uploadId) throws StoreException {
    for (MultipartUpload u : listRaw(store.full(key), "find upload", key)) {
      if (u.uploadId().equals(uploadId) && u.key().equals(store.full(key))) {
        return u;
      }
    }
    return null;
  }

  /** This tool's open uploads whose key starts with {@code prefix} (a store key prefix). */
  List<PendingUpload> list(String prefix) throws StoreException {
    Map<String, Instant> ours = entries();
    List<PendingUpload> out = new ArrayList<>();
    for (MultipartUpload u : listRaw(store.full(prefix), "list uploads", prefix)) {
      Instant ledgered = ours.get(ledgerKey(u.uploadId()));
      if (ledgered != null && u.key().startsWith(store.config().prefix())) {
        out.add(new PendingUpload(store.rel(u.key()), u.uploadId(),
            u.initiated() != null ? u.initiated() : ledgered));
      }
    }
    return out;
  }

  /**
   * Aborts this tool's uploads started before now minus {@code olderThan} and removes ledger entries of
   * uploads that are gone; returns the number aborted. Other tools' uploads are never touched.
   */
  int sweep(Duration olderThan) throws StoreException {
    Instant cutoff = Instant.now().minus(olderThan);
    int aborted = 0;
    for (PendingUpload u : list("")) {
      if (u.initiated().isBefore(cutoff)) {
        uploads.abort(u.key(), u.uploadId());
        aborted++;
      }
    }
    // Ledger entries whose upload is gone (completed or aborted while the ledger delete failed).
    Map<String, Instant> ledger = entries();
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
  private Map<String, Instant> entries() throws StoreException {
    Map<String, Instant> out = new HashMap<>();
    String token = null;
    try {
      do {
        String t = token;
        ListObjectsV2Response page = client.listObjectsV2(b -> {
          b.bucket(bucket()).prefix(store.full(LEDGER)).maxKeys(store.pageSize());
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
          b.bucket(bucket()).prefix(fullPrefix).maxUploads(store.pageSize());
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
}

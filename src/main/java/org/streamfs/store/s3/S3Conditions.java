package org.streamfs.store.s3;

import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.store.Expect;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Conditional writes ({@link Expect}) on S3: {@code If-Match: <etag>} or {@code If-None-Match: *} on PutObject
 * and CompleteMultipartUpload, which AWS S3 (since 2024), MinIO and S3Proxy 4 honour: the server checks and
 * replaces in one step. Whether this server honours them is found out once, at the first conditional write,
 * by writing a probe object under {@code .streamfs/} and asking for writes whose condition fails (a server
 * that ignores the headers performs them). Where it does not, the version is compared with a HEAD just before
 * the unconditional write: a writer that lands between the HEAD and the write is then overwritten unseen
 * (the window is one HEAD round trip plus the write; SEMANTICS.md "Conflicts").
 */
final class S3Conditions {
  private static final Logger LOG = LoggerFactory.getLogger(S3Conditions.class);
  /** An ETag no object has (quoted, as S3 sends them). */
  private static final String NO_ETAG = "\"00000000000000000000000000000000\"";

  private final S3Store store;
  private volatile Boolean honoured;

  S3Conditions(S3Store store) {
    this.store = store;
  }

  /** For tests: use the headers (true) or the HEAD comparison (false) without probing. */
  void force(boolean useHeaders) {
    honoured = useHeaders;
  }

  /** Whether the server honours If-Match / If-None-Match on writes (probed once). */
  boolean honoured() {
    Boolean h = honoured;
    if (h == null) {
      synchronized (this) {
        if (honoured == null) {
          honoured = probe();
        }
        h = honoured;
      }
    }
    return h;
  }

  /** Before a write under {@code expect}: when the server ignores the headers, compares the version (HEAD). */
  void checkBefore(String key, Expect expect) throws StoreException {
    if (expect.isAny() || honoured()) {
      return;
    }
    String now = current(key);
    if (!expect.matches(now)) {
      throw expect.conflict(key, now);
    }
  }

  void apply(PutObjectRequest.Builder b, Expect expect) {
    if (!expect.isAny() && honoured()) {
      if (expect.isAbsent()) {
        b.ifNoneMatch("*");
      } else {
        b.ifMatch(S3Meta.etag(expect.version()));
      }
    }
  }

  void apply(CompleteMultipartUploadRequest.Builder b, Expect expect) {
    if (!expect.isAny() && honoured()) {
      if (expect.isAbsent()) {
        b.ifNoneMatch("*");
      } else {
        b.ifMatch(S3Meta.etag(expect.version()));
      }
    }
  }

  /**
   * A write under {@code expect} failed with {@code e}: a failed condition (412; or 404 for If-Match on a key
   * that has no object any more, as AWS answers) becomes CONFLICT naming the version the key holds now.
   */
  StoreException map(String key, Expect expect, StoreException e) {
    if (expect.isAny()) {
      return e;
    }
    String now;
    try {
      if (e.kind() == Kind.PRECONDITION_FAILED) {
        now = current(key);
      } else if (e.kind() == Kind.NOT_FOUND && expect.version() != null) {
        now = current(key);
        if (now != null) {
          return e;
        }
      } else {
        return e;
      }
    } catch (StoreException again) {
      return e;
    }
    StoreException c = expect.conflict(key, now);
    c.addSuppressed(e);
    return c;
  }

  /** The version {@code key} holds now, null if none. */
  private String current(String key) throws StoreException {
    try {
      return store.stat(key).version();
    } catch (StoreException e) {
      if (e.kind() == Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private boolean probe() {
    S3Client c = store.client();
    String bucket = store.bucket();
    String key = store.full(StoreKeys.RESERVED_PREFIX + "/probe-" + UUID.randomUUID());
    boolean put = false;
    boolean complete = false;
    try {
      c.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString("probe"));
      put = refused(() -> c.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*"),
          RequestBody.fromString("overwritten")))
          && refused(() -> c.putObject(b -> b.bucket(bucket).key(key).ifMatch(NO_ETAG),
              RequestBody.fromString("overwritten")));
      String id = c.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
      try {
        String etag = c.uploadPart(b -> b.bucket(bucket).key(key).uploadId(id).partNumber(1),
            RequestBody.fromString("part")).eTag();
        complete = refused(() -> c.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(id)
            .ifMatch(NO_ETAG).multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(etag)))));
      } finally {
        try {
          c.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(id));
        } catch (SdkException ignored) {
          // completed (the condition was ignored) or already gone
        }
      }
    } catch (SdkException e) {
      LOG.info("{}: could not probe conditional writes ({}); comparing versions before each write instead",
          store.describe(), e.toString());
      return false;
    } finally {
      try {
        c.deleteObject(b -> b.bucket(bucket).key(key));
      } catch (SdkException ignored) {
        // a leftover probe object under .streamfs/ is harmless
      }
    }
    boolean ok = put && complete;
    if (ok) {
      LOG.debug("{} honours If-Match/If-None-Match on PutObject and CompleteMultipartUpload", store.describe());
    } else {
      LOG.info("{} ignores If-Match/If-None-Match on {}: a write that must not replace another writer's"
          + " version compares versions (HEAD) just before it instead", store.describe(),
          put ? "CompleteMultipartUpload" : "PutObject");
    }
    return ok;
  }

  /** True if the write was refused for its condition (412); false if the server performed it. */
  private static boolean refused(Runnable write) {
    try {
      write.run();
      return false;
    } catch (SdkException e) {
      if (S3Errors.status(e, 412)) {
        return true;
      }
      throw e;
    }
  }
}

package org.streamfs.store.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The one place where AWS SDK failures become {@link StoreException} kinds: missing key/upload/bucket →
 * NOT_FOUND, credentials → ACCESS_DENIED, failed condition → PRECONDITION_FAILED, digest mismatch →
 * CHECKSUM, 5xx/throttling/timeouts/connection faults → TRANSIENT, the rest → PERMANENT. Messages name the
 * operation, the key and the endpoint, and carry the server's error code; never a credential.
 */
final class S3Errors {
  private static final Set<String> NOT_FOUND = Set.of("NoSuchKey", "NoSuchUpload", "NotFound", "NoSuchVersion");
  private static final Set<String> DENIED = Set.of("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
      "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled", "InvalidSecurity");
  private static final Set<String> CHECKSUM = Set.of("BadDigest", "XAmzContentSHA256Mismatch");
  private static final Set<String> TRANSIENT = Set.of("SlowDown", "RequestTimeout", "InternalError",
      "ServiceUnavailable", "Throttling", "ThrottlingException", "TooManyRequests", "RequestTimeTooSkewed",
      "OperationAborted", "RequestLimitExceeded", "Busy");

  private final String where;

  /** @param where the store's description, for messages (bucket and endpoint) */
  S3Errors(String where) {
    this.where = where;
  }

  /** Maps an SDK failure of operation {@code op} on {@code key} (may be null). */
  StoreException map(String op, String key, SdkException e) {
    if (e instanceof AwsServiceException se) {
      return service(op, key, se);
    }
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new StoreException(Kind.TRANSIENT, key, op + " timed out at " + where + ": " + e.getMessage(), e);
    }
    if (e instanceof AbortedException) {
      Thread.currentThread().interrupt();
      return new StoreException(Kind.PERMANENT, key, op + " interrupted", e);
    }
    IOException io = ioCause(e);
    if (io != null) {
      return new StoreException(Kind.TRANSIENT, key, op + ": cannot reach " + where + ": " + describe(io), e);
    }
    String msg = String.valueOf(e.getMessage());
    if (e instanceof SdkClientException && msg.contains("credentials")) {
      return new StoreException(Kind.ACCESS_DENIED, key, op + ": no AWS credentials found for " + where
          + " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or ~/.aws/credentials)", e);
    }
    return new StoreException(Kind.PERMANENT, key, op + " failed at " + where + ": " + msg, e);
  }

  private StoreException service(String op, String key, AwsServiceException e) {
    int status = e.statusCode();
    String code = e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? ""
        : e.awsErrorDetails().errorCode();
    String text = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
    String detail = "HTTP " + status + (code.isEmpty() ? "" : " " + code) + (text == null ? "" : ": " + text);
    if ("NoSuchBucket".equals(code)) {
      return new StoreException(Kind.NOT_FOUND, key, op + ": bucket does not exist: " + where + " (" + detail
          + ")", e);
    }
    if (CHECKSUM.contains(code)) {
      return new StoreException(Kind.CHECKSUM, key, op + ": the server received bytes that do not match their "
          + "checksum (" + detail + ")", e);
    }
    if (NOT_FOUND.contains(code) || status == 404) {
      return new StoreException(Kind.NOT_FOUND, key, op + ": not found (" + detail + ")", e);
    }
    if (DENIED.contains(code) || status == 403 || status == 401) {
      String why = "SignatureDoesNotMatch".equals(code) ? "wrong secret key"
          : "InvalidAccessKeyId".equals(code) ? "unknown access key id" : "access denied";
      return new StoreException(Kind.ACCESS_DENIED, key, op + ": " + why + " at " + where + " (" + detail
          + "); check the AWS credentials (environment, profile or ~/.aws/credentials)", e);
    }
    if (status == 412 || "PreconditionFailed".equals(code)) {
      return new StoreException(Kind.PRECONDITION_FAILED, key, op + ": the object changed (" + detail + ")", e);
    }
    if (TRANSIENT.contains(code) || status == 429 || status == 500 || status == 502 || status == 503
        || status == 504) {
      return new StoreException(Kind.TRANSIENT, key, op + ": server busy or failing (" + detail + ")", e);
    }
    if (status == 507 || "QuotaExceeded".equals(code)) {
      return new StoreException(Kind.NO_SPACE, key, op + ": store is full (" + detail + ")", e);
    }
    if ("KeyTooLongError".equals(code)) {
      return new StoreException(Kind.INVALID_KEY, key, op + ": key too long for the server (" + detail + ")", e);
    }
    return new StoreException(Kind.PERMANENT, key, op + " refused by " + where + " (" + detail + ")", e);
  }

  /** True for "the key or upload is not there" (404 other than a missing bucket): absent is fine for deletes. */
  static boolean missingKey(SdkException e) {
    if (!(e instanceof AwsServiceException se)) {
      return false;
    }
    String code = se.awsErrorDetails() == null ? null : se.awsErrorDetails().errorCode();
    return !"NoSuchBucket".equals(code) && (se.statusCode() == 404 || NOT_FOUND.contains(String.valueOf(code)));
  }

  /** True if this is a service error with exactly this HTTP status. */
  static boolean status(SdkException e, int status) {
    return e instanceof AwsServiceException se && se.statusCode() == status;
  }

  private static IOException ioCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException io) {
        return io;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static String describe(IOException io) {
    if (io instanceof ConnectException) {
      return "connection refused or unreachable (" + io.getMessage() + ")";
    }
    if (io instanceof UnknownHostException) {
      return "unknown host " + io.getMessage();
    }
    if (io instanceof SocketTimeoutException || io instanceof InterruptedIOException) {
      return "timed out (" + io.getMessage() + ")";
    }
    return io.getClass().getSimpleName() + ": " + io.getMessage();
  }
}

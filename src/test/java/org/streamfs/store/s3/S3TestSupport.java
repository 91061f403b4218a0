package org.streamfs.store.s3;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.streamfs.testing.S3ProxyServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Shared bits of the S3 integration tests: unique bucket names, a plain SDK client standing for "another
 * tool" writing to the same bucket, deterministic random data and stream reading.
 */
final class S3TestSupport {
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  private S3TestSupport() {}

  /** A fresh bucket name, unique within this JVM run. */
  static String bucketName(String what) {
    return ("t-" + what + "-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet())
        .toLowerCase().replaceAll("[^a-z0-9-]", "-");
  }

  /** A plain SDK client with the test credentials: what another S3 tool would do. */
  static S3Client rawClient(URI endpoint) {
    return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
            S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  static void createBucket(URI endpoint, String bucket) {
    try (S3Client c = rawClient(endpoint)) {
      c.createBucket(b -> b.bucket(bucket));
    }
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] sha256(byte[] data) {
    return S3Store.digest("SHA-256", ByteBuffer.wrap(data));
  }

  static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }
}

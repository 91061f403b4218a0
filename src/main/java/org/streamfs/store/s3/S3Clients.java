package org.streamfs.store.s3;

import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;

/**
 * Builds the AWS SDK v2 sync client for an {@link S3StoreConfig}: Apache HTTP client with short connect and
 * socket timeouts, no SDK retries (RetryingStore retries), checksums only where the operation requires them
 * (the store sends its own SHA-256 headers), chunked encoding as configured, and the interceptor that strips
 * {@code x-amz-mp-object-size} for endpoints that reject it. Credentials come from the default AWS chain or
 * a named profile, never from the URI.
 */
final class S3Clients {
  static final String MP_OBJECT_SIZE_HEADER = "x-amz-mp-object-size";

  private S3Clients() {}

  /** The credentials the config asks for: a named profile, else the default chain (env, sysprops, files). */
  static AwsCredentialsProvider credentials(S3StoreConfig config) {
    if (config.profile() != null) {
      return ProfileCredentialsProvider.create(config.profile());
    }
    return DefaultCredentialsProvider.builder().build();
  }

  /** The region: the URI's, else environment/system property/profile, else us-east-1 (no IMDS lookup). */
  static Region region(S3StoreConfig config) {
    if (config.region() != null) {
      return Region.of(config.region());
    }
    try {
      return new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
          .getRegion();
    } catch (RuntimeException e) {
      return Region.US_EAST_1;
    }
  }

  static S3Client build(S3StoreConfig config, AwsCredentialsProvider credentials, AtomicBoolean dropMpSize) {
    var http = ApacheHttpClient.builder()
        .connectionTimeout(config.connectTimeout())
        .socketTimeout(config.socketTimeout())
        .connectionAcquisitionTimeout(config.connectTimeout().multipliedBy(6))
        .maxConnections(64);
    var override = ClientOverrideConfiguration.builder()
        .retryStrategy(AwsRetryStrategy.doNotRetry())
        .apiCallTimeout(config.callTimeout())
        .addExecutionInterceptor(new DropMpObjectSize(dropMpSize))
        .build();
    var builder = S3Client.builder()
        .httpClientBuilder(http)
        .credentialsProvider(credentials)
        .region(region(config))
        .forcePathStyle(config.pathStyle())
        // On AWS without a region, follow a bucket to its region instead of failing with 301.
        .crossRegionAccessEnabled(config.region() == null && config.endpoint() == null)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .serviceConfiguration(S3Configuration.builder()
            .chunkedEncodingEnabled(config.chunkedEncoding())
            .build())
        .overrideConfiguration(override);
    if (config.endpoint() != null) {
      builder.endpointOverride(config.endpoint());
    }
    return builder.build();
  }

  /**
   * Removes {@code x-amz-mp-object-size} from CompleteMultipartUpload while {@code drop} is set (S3Proxy 4.1
   * answers 501 to it; AWS accepts it and checks the total size). Runs before signing.
   */
  static final class DropMpObjectSize implements ExecutionInterceptor {
    private final AtomicBoolean drop;

    DropMpObjectSize(AtomicBoolean drop) {
      this.drop = drop;
    }

    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context,
        ExecutionAttributes executionAttributes) {
      SdkHttpRequest request = context.httpRequest();
      if (drop.get() && context.request() instanceof CompleteMultipartUploadRequest
          && request.firstMatchingHeader(MP_OBJECT_SIZE_HEADER).isPresent()) {
        return request.toBuilder().removeHeader(MP_OBJECT_SIZE_HEADER).build();
      }
      return request;
    }
  }
}

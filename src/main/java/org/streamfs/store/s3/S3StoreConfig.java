package org.streamfs.store.s3;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The settings of one {@link S3Store}, parsed from a store URI
 * {@code s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&path-style=true}. Every query
 * option is optional; an unknown option, a malformed value or user-info in the URI (credentials never travel
 * in a URI: they come from the standard AWS chain) is refused with a message naming what was wrong.
 *
 * @param bucket the bucket (3 to 63 characters)
 * @param prefix the key prefix inside the bucket, empty or ending in {@code /}
 * @param endpoint the endpoint override (http or https), or null for AWS itself
 * @param region the region, or null to take it from the environment/profile (else us-east-1)
 * @param pathStyle path-style addressing (default: on when an endpoint is given)
 * @param profile an AWS profile name to take credentials from, or null for the default chain
 * @param checksum how part bodies are protected on the wire: SHA-256 header or Content-MD5
 * @param chunkedEncoding whether the SDK may send bodies as aws-chunked (off: one signed body, faster here)
 * @param mpObjectSize whether Complete carries {@code x-amz-mp-object-size}: AUTO drops it after a 501
 * @param connectTimeout TCP connect timeout
 * @param socketTimeout longest silence on an open connection
 * @param callTimeout longest time for one whole API call
 * @param listMetadata whether listings carry user metadata (one HEAD per listed object, done in parallel)
 */
public record S3StoreConfig(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
    String profile, Checksum checksum, boolean chunkedEncoding, MpObjectSize mpObjectSize,
    Duration connectTimeout, Duration socketTimeout, Duration callTimeout, boolean listMetadata) {

  /** How the integrity of uploaded bodies is checked by the server. */
  public enum Checksum { SHA256, MD5 }

  /** Whether CompleteMultipartUpload carries the total object size header. */
  public enum MpObjectSize { AUTO, ON, OFF }

  private static final Set<String> OPTIONS = Set.of("endpoint", "region", "path-style", "profile", "checksum",
      "chunked-encoding", "mp-object-size", "connect-timeout", "socket-timeout", "call-timeout",
      "list-metadata");

  /** Parses an {@code s3://} URI; IllegalArgumentException naming the problem. */
  public static S3StoreConfig parse(URI uri) {
    if (uri == null || !"s3".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("not an s3:// store URI: " + uri);
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("s3 store URI must not contain user-info (credentials): they are "
          + "taken from the AWS environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "
          + "~/.aws/credentials), never from the command line");
    }
    String bucket = uri.getHost();
    if (bucket == null) {
      bucket = uri.getAuthority();
    }
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("s3 store URI needs a bucket name of 3-63 lower-case letters, digits, "
          + "dots or hyphens after s3://, got '" + bucket + "' in " + uri.getScheme() + "://" + bucket
          + (uri.getRawPath() == null ? "" : uri.getRawPath()));
    }
    if (uri.getPort() != -1) {
      throw new IllegalArgumentException("s3 store URI has a port after the bucket; give the server as "
          + "?endpoint=http://host:port");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    while (path.startsWith("/")) {
      path = path.substring(1);
    }
    if (!path.isEmpty() && !path.endsWith("/")) {
      path = path + "/";
    }
    if (path.contains("//")) {
      throw new IllegalArgumentException("s3 store prefix has an empty segment (//): " + uri.getPath());
    }
    Map<String, String> q = query(uri.getRawQuery());
    URI endpoint = null;
    if (q.containsKey("endpoint")) {
      endpoint = endpoint(q.get("endpoint"));
    }
    String region = q.get("region");
    if (region != null && !region.matches("[a-z0-9-]{2,40}")) {
      throw new IllegalArgumentException("s3 option region: not a region name: '" + region + "'");
    }
    boolean pathStyle = bool(q, "path-style", endpoint != null);
    String profile = q.get("profile");
    Checksum checksum = choice(q, "checksum", Checksum.class, Checksum.SHA256);
    boolean chunked = bool(q, "chunked-encoding", false);
    MpObjectSize mp = q.containsKey("mp-object-size") && !"auto".equalsIgnoreCase(q.get("mp-object-size"))
        ? (bool(q, "mp-object-size", true) ? MpObjectSize.ON : MpObjectSize.OFF) : MpObjectSize.AUTO;
    return new S3StoreConfig(bucket, path, endpoint, region, pathStyle, profile, checksum, chunked, mp,
        seconds(q, "connect-timeout", 5), seconds(q, "socket-timeout", 30), seconds(q, "call-timeout", 900),
        bool(q, "list-metadata", true));
  }

  /** A description for logs: the URI without anything secret (there is nothing secret in it). */
  public String describe() {
    return "s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      k = k.toLowerCase(Locale.ROOT);
      if (!OPTIONS.contains(k)) {
        throw new IllegalArgumentException("unknown s3 store option '" + k + "' (known: "
            + String.join(", ", OPTIONS.stream().sorted().toList()) + ")");
      }
      if (out.put(k, v) != null) {
        throw new IllegalArgumentException("s3 store option '" + k + "' given twice");
      }
    }
    return out;
  }

  private static URI endpoint(String v) {
    URI e;
    try {
      e = URI.create(v);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("s3 option endpoint: not a URI: '" + v + "'");
    }
    if (e.getScheme() == null || !(e.getScheme().equals("http") || e.getScheme().equals("https"))
        || e.getHost() == null) {
      throw new IllegalArgumentException("s3 option endpoint must be http://host[:port] or https://host[:port], "
          + "got '" + v + "'");
    }
    if (e.getRawUserInfo() != null) {
      throw new IllegalArgumentException("s3 option endpoint must not contain user-info (credentials)");
    }
    return e;
  }

  private static boolean bool(Map<String, String> q, String k, boolean dflt) {
    String v = q.get(k);
    if (v == null) {
      return dflt;
    }
    switch (v.toLowerCase(Locale.ROOT)) {
      case "", "true", "yes", "1", "on":
        return true;
      case "false", "no", "0", "off":
        return false;
      default:
        throw new IllegalArgumentException("s3 option " + k + ": expected true or false, got '" + v + "'");
    }
  }

  private static <E extends Enum<E>> E choice(Map<String, String> q, String k, Class<E> type, E dflt) {
    String v = q.get(k);
    if (v == null) {
      return dflt;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v)) {
        return e;
      }
    }
    throw new IllegalArgumentException("s3 option " + k + ": unknown value '" + v + "'");
  }

  private static Duration seconds(Map<String, String> q, String k, long dflt) {
    String v = q.get(k);
    if (v == null) {
      return Duration.ofSeconds(dflt);
    }
    try {
      double s = Double.parseDouble(v);
      if (!(s > 0) || s > 86_400) {
        throw new NumberFormatException();
      }
      return Duration.ofMillis((long) (s * 1000));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("s3 option " + k + ": expected seconds (0 < s <= 86400), got '" + v
          + "'");
    }
  }
}

package org.streamfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Parsing of {@code s3://} store URIs: defaults, options, and clear refusals. */
class S3StoreConfigTest {

  private static S3StoreConfig parse(String uri) {
    return S3StoreConfig.parse(URI.create(uri));
  }

  private static String refusal(String uri) {
    return assertThrows(IllegalArgumentException.class, () -> parse(uri)).getMessage();
  }

  @Test
  void defaultsForAws() {
    S3StoreConfig c = parse("s3://my-bucket");
    assertEquals("my-bucket", c.bucket());
    assertEquals("", c.prefix());
    assertNull(c.endpoint());
    assertNull(c.region());
    assertFalse(c.pathStyle());
    assertEquals(S3StoreConfig.Checksum.SHA256, c.checksum());
    assertEquals(S3StoreConfig.MpObjectSize.AUTO, c.mpObjectSize());
    assertFalse(c.chunkedEncoding());
    assertTrue(c.listMetadata());
    assertEquals(Duration.ofSeconds(5), c.connectTimeout());
  }

  @Test
  void prefixAndOptions() {
    S3StoreConfig c = parse("s3://bucket.one/some/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1"
        + "&checksum=md5&mp-object-size=false&connect-timeout=1.5&socket-timeout=7&chunked-encoding=true"
        + "&profile=work&list-metadata=no");
    assertEquals("some/prefix/", c.prefix());
    assertEquals(URI.create("http://127.0.0.1:9000"), c.endpoint());
    assertEquals("eu-west-1", c.region());
    assertTrue(c.pathStyle(), "path style by default with an endpoint");
    assertEquals(S3StoreConfig.Checksum.MD5, c.checksum());
    assertEquals(S3StoreConfig.MpObjectSize.OFF, c.mpObjectSize());
    assertEquals(Duration.ofMillis(1500), c.connectTimeout());
    assertEquals(Duration.ofSeconds(7), c.socketTimeout());
    assertTrue(c.chunkedEncoding());
    assertEquals("work", c.profile());
    assertFalse(c.listMetadata());
    assertFalse(parse("s3://bucket/?endpoint=http://h:1&path-style=false").pathStyle());
    assertEquals(S3StoreConfig.MpObjectSize.ON, parse("s3://bucket/?mp-object-size=true").mpObjectSize());
    assertEquals("p/", parse("s3://bucket/p/").prefix());
  }

  @Test
  void credentialsInTheUriAreRefused() {
    String m = refusal("s3://AKIAXXXX:secret@bucket/prefix");
    assertTrue(m.contains("user-info") && m.contains("AWS_ACCESS_KEY_ID"), m);
    assertFalse(m.contains("secret@"), "the refusal must not echo the secret: " + m);
    assertTrue(refusal("s3://bucket/?endpoint=http://user:pw@host:9000").contains("user-info"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3://ab/", "s3://Upper/", "s3://bucket:9000/", "s3://bucket/?colour=red",
      "s3://bucket/?endpoint=ftp://x", "s3://bucket/?endpoint=notauri%20x", "s3://bucket/?path-style=maybe",
      "s3://bucket/?connect-timeout=-1", "s3://bucket/?checksum=crc32", "s3://bucket/a//b",
      "s3://bucket/?region=x&region=y", "file:///tmp"})
  void badUrisAreRefusedWithAReason(String uri) {
    String m = refusal(uri);
    assertFalse(m.isBlank());
  }

  @Test
  void describeNamesBucketAndEndpoint() {
    assertEquals("s3://b-1/p/ at http://127.0.0.1:9", parse("s3://b-1/p?endpoint=http://127.0.0.1:9").describe());
  }
}

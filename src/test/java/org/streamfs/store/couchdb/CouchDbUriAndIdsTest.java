package org.streamfs.store.couchdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;

/** The parts of the CouchDB store that need no server: id encoding, URL encoding, URIs and credentials. */
class CouchDbUriAndIdsTest {

  @Test
  void idEncodingIsReversibleAndKeepsPrefixes() throws Exception {
    for (String key : List.of("a", "_a", "_", "__x/_y", "dir/", "%41", "résumé/文件", "\u00ffz", "a b?c#d")) {
      assertNull(StoreKeys.problem(key), key);
      String id = DocIds.encode(key);
      assertFalse(id.startsWith("_"), id);
      assertEquals(key, DocIds.decode(id));
      assertTrue(DocIds.encode(key + "/more").startsWith(id));
    }
    assertEquals("\\notes", DocIds.encode("_notes"));
    assertTrue(DocIds.isInternal("_design/x"));
    assertTrue(DocIds.isInternal(DocIds.uploadDocId("abc")));
    assertFalse(DocIds.isInternal("\\notes"));
    assertEquals(List.of("a/b", "a"), DocIds.foreignSplits("a/b/c").stream().map(s -> s[0]).toList());
    assertEquals(List.of("c", "b/c"), DocIds.foreignSplits("a/b/c").stream().map(s -> s[1]).toList());
    assertEquals("p00042", DocIds.partName(42));
    assertEquals("c000007", DocIds.chunkName(7));
  }

  @Test
  void base64StreamMatchesTheJdkEncoderAndLeavesTheBufferAlone() throws Exception {
    for (int n : new int[] {0, 1, 2, 3, 4, 49151, 49152, 49153, 200_000}) {
      byte[] data = new byte[n];
      new java.util.Random(n).nextBytes(data);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
      byte[] got = new Base64Stream(buf).readAllBytes();
      assertEquals(java.util.Base64.getEncoder().encodeToString(data), new String(got,
          java.nio.charset.StandardCharsets.US_ASCII), "size " + n);
      assertEquals(Base64Stream.encodedLength(n), got.length);
      assertEquals(0, buf.position());
    }
  }

  @Test
  void urlEncodingKeepsOnlyUnreservedCharacters() {
    assertEquals("a%2Fb%20c%3F%25%5C", CouchDbHttp.encode("a/b c?%\\"));
    assertEquals("r%C3%A9", CouchDbHttp.encode("ré"));
    assertEquals("startkey=%22a%5C%5Cb%22", CouchDbHttp.jsonParam("startkey", "a\\b"));
  }

  @Test
  void uriProblemsAreNamedBeforeAnyConnection() {
    assertMessage("couchdb://u:pw@h/db", "credentials in the store URI are refused");
    assertMessage("couchdb:///db", "needs a host");
    assertMessage("couchdb://h:5984/", "is not a CouchDB database name");
    assertMessage("couchdb://h:5984/Upper", "is not a CouchDB database name");
    assertMessage("s3://bucket/x", "not a CouchDB store URI");
  }

  private static void assertMessage(String uri, String part) {
    StoreException e = assertThrows(StoreException.class,
        () -> CouchDbStores.fromUri(URI.create(uri), false, Map.of(), null));
    assertTrue(e.getMessage().contains(part), e.getMessage());
    assertFalse(e.getMessage().contains("pw@"), e.getMessage());
  }

  @Test
  void credentialsFromEnvironmentOrAPrivateFile(@TempDir Path tmp) throws Exception {
    assertEquals(CouchDbCredentials.ANONYMOUS, CouchDbCredentials.from(Map.of()));
    CouchDbCredentials env = CouchDbCredentials.from(Map.of("STREAMFS_COUCHDB_USER", "u",
        "STREAMFS_COUCHDB_PASSWORD", "p:w"));
    assertEquals("p:w", env.password());
    assertFalse(env.toString().contains("p:w"));
    StoreException half = assertThrows(StoreException.class,
        () -> CouchDbCredentials.from(Map.of("STREAMFS_COUCHDB_USER", "u")));
    assertTrue(half.getMessage().contains("STREAMFS_COUCHDB_PASSWORD"), half.getMessage());

    Path f = tmp.resolve("cred");
    Files.writeString(f, "alice:se:cret\nignored\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    CouchDbCredentials fromFile = CouchDbCredentials.from(Map.of("STREAMFS_COUCHDB_CREDENTIALS", f.toString()));
    assertEquals("alice", fromFile.user());
    assertEquals("se:cret", fromFile.password());
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    StoreException loose = assertThrows(StoreException.class,
        () -> CouchDbCredentials.from(Map.of("STREAMFS_COUCHDB_CREDENTIALS", f.toString())));
    assertTrue(loose.getMessage().contains("chmod 600"), loose.getMessage());
    assertFalse(loose.getMessage().contains("se:cret"));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(f, "no-colon\n");
    assertThrows(StoreException.class,
        () -> CouchDbCredentials.from(Map.of("STREAMFS_COUCHDB_CREDENTIALS", f.toString())));
    assertThrows(StoreException.class, () -> CouchDbCredentials.from(Map.of("STREAMFS_COUCHDB_CREDENTIALS",
        tmp.resolve("missing").toString())));
  }
}

package org.streamfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;

/** {@link Stores#open}: URI parsing, the file scheme, and the messages for URIs it cannot use. */
class StoresTest {
  @TempDir
  Path dir;

  @Test
  void fileUriOpensALocalStore() throws Exception {
    Path root = dir.resolve("my store");
    try (ObjectStore s = Stores.open(root.toUri().toString(), true)) {
      assertTrue(s instanceof LocalStore);
      assertTrue(Files.isDirectory(root));
      s.put("k", new byte[] {7}, Map.of());
      assertEquals(1, Files.size(root.resolve("k")));
      assertEquals(root.toUri().toString(), s.describe());
    }
    try (ObjectStore s = Stores.open("file://localhost" + root.toUri().getRawPath(), false)) {
      assertEquals(1, s.stat("k").size());
    }
  }

  @Test
  void missingDirectoryWithoutCreate() {
    Path missing = dir.resolve("nope");
    StoreException e = assertThrows(StoreException.class, () -> Stores.open("file://" + missing, false));
    assertEquals(Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().contains("store directory does not exist: " + missing), e.getMessage());
  }

  @Test
  void badUrisSayWhatIsWrong() {
    assertMessage("file:relative/dir", "absolute path");
    assertMessage("file://relative/dir", "did you mean file:///relative/dir");
    assertMessage("/abs/dir", "no scheme");
    assertMessage("", "empty");
    assertMessage("ftp://host/x", "unknown scheme 'ftp'; known schemes: file");
    assertMessage("file:///a dir", "percent-encoded");
    assertMessage("file:///a?x=1", "no query");
  }

  private static void assertMessage(String uri, String expected) {
    StoreException e = assertThrows(StoreException.class, () -> Stores.open(uri, true));
    assertEquals(Kind.PERMANENT, e.kind());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}

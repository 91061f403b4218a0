package org.streamfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;

/** The default state dir: $XDG_STATE_HOME/streamfs/state, or the old one under the cache dir while only it exists. */
class DefaultStateDirTest {
  @TempDir
  Path home;
  private String savedHome;

  @BeforeEach
  void setUp() {
    Assumptions.assumeTrue(System.getenv("XDG_STATE_HOME") == null && System.getenv("XDG_CACHE_HOME") == null,
        "no XDG_STATE_HOME / XDG_CACHE_HOME in the environment (the defaults derive from user.home)");
    savedHome = System.getProperty("user.home");
    System.setProperty("user.home", home.toString());
  }

  @AfterEach
  void tearDown() {
    if (savedHome != null) {
      System.setProperty("user.home", savedHome);
    }
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void theNewDefaultIsUnderTheStateHomeAndCreated0700WhenNeitherExists() throws IOException {
    Path expected = home.resolve(".local/state/streamfs/state");
    assertEquals(expected, EngineOptions.newDefaultStateDir());
    assertEquals(home.resolve(".cache/streamfs/state"), EngineOptions.legacyDefaultStateDir());
    Path dir = new EngineOptions().stateDir();
    assertEquals(expected, dir);
    assertTrue(Files.isDirectory(dir));
    assertEquals("rwx------", mode(dir));
    assertFalse(Files.exists(home.resolve(".cache/streamfs/state")), "nothing created at the old place");
  }

  @Test
  void anOldStateDirIsUsedInPlaceWhileTheNewOneDoesNotExist() throws IOException {
    Path legacy = EngineOptions.legacyDefaultStateDir();
    EngineOptions.ensurePrivateDir(legacy);
    try (Catalog c = Catalog.open(legacy.resolve("catalog"))) {
      c.table("probe");
    }
    Path newDir = EngineOptions.newDefaultStateDir();
    assertEquals(legacy, EngineOptions.defaultStateDir(newDir, legacy));
    assertEquals(legacy, new EngineOptions().stateDir());
    assertFalse(Files.exists(newDir), "the new one is not created while the old one is used");
    assertTrue(Files.isDirectory(legacy.resolve("catalog")), "the old one is not moved");
    assertTrue(EngineOptions.legacyNote(newDir, legacy).contains(legacy.toString()));

    // Once the new one exists (the user moved the old one there, or made it), it wins.
    EngineOptions.ensurePrivateDir(newDir);
    assertEquals(newDir, new EngineOptions().stateDir());
  }

  @Test
  void anOldDirWithoutCatalogIsNotWorthUsingAndAnExplicitStateDirWins() throws IOException {
    Path legacy = Files.createDirectories(EngineOptions.legacyDefaultStateDir());
    assertEquals(EngineOptions.newDefaultStateDir(),
        EngineOptions.defaultStateDir(EngineOptions.newDefaultStateDir(), legacy));
    EngineOptions o = new EngineOptions();
    o.stateDir = home.resolve("explicit");
    assertEquals(home.resolve("explicit"), o.stateDir());
    assertEquals("rwx------", mode(home.resolve("explicit")));
  }
}

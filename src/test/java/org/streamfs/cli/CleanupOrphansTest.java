package org.streamfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;
import org.streamfs.store.middleware.StoreOp;
import org.streamfs.testing.FaultyStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * {@code streamfs cleanup --orphans} end to end on a real local store and real catalogs: an upload begun with
 * a state dir that is then lost is listed, and aborted only with {@code --yes}; an upload the given state
 * dir still owns is never touched.
 */
class CleanupOrphansTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;
  Path storeDir;
  String storeUri;
  private String savedHome;
  private PrintStream savedOut;
  private PrintStream savedErr;

  @BeforeEach
  void setUp() throws IOException {
    // The default state dirs and mount state dirs the command also consults live under the home directory
    // (no XDG variables in the test environment): point it at an empty one.
    savedHome = System.getProperty("user.home");
    System.setProperty("user.home", tmp.resolve("home").toString());
    storeDir = tmp.resolve("store");
    LocalStore.open(storeDir, true).close();
    storeUri = storeDir.toUri().toString();
    savedOut = System.out;
    savedErr = System.err;
  }

  @AfterEach
  void tearDown() {
    System.setProperty("user.home", savedHome);
    System.setOut(savedOut);
    System.setErr(savedErr);
  }

  record Run(int exit, String out, String err) {}

  Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
  }

  List<PendingUpload> pending() throws IOException {
    try (LocalStore s = LocalStore.open(storeDir, false)) {
      return s.listUploads("");
    }
  }

  /**
   * A put with {@code stateDir} that dies after beginning its multipart upload, as a killed process leaves
   * it: the upload stays on the store and the catalog keeps the operation (and its owed abort). Returns the
   * upload id.
   */
  String interruptedPut(Path stateDir, String key) throws IOException {
    Set<String> before = pending().stream().map(PendingUpload::uploadId).collect(Collectors.toSet());
    Path file = Files.write(tmp.resolve(key + ".src"), new byte[300_000]);
    EngineOptions.ensurePrivateDir(stateDir);
    try (FaultyStore store = new FaultyStore(LocalStore.open(storeDir, false));
        Catalog catalog = Catalog.open(stateDir.resolve("catalog"));
        StreamingManager m = new StreamingManager(store, catalog, StreamingConfig.builder()
            .chunkSizeBytes(100_000).maxRetries(0).retryDelay(Duration.ofMillis(1)).parallelChunks(1)
            .threadPoolSize(1).build())) {
      store.failAlways(FaultyStore.on(StoreOp.UPLOAD_PART), Kind.PERMANENT);
      store.failAlways(FaultyStore.on(StoreOp.ABORT_UPLOAD), Kind.TRANSIENT);
      String op = m.prepareUpload(file, key, Map.of());
      assertThrows(IOException.class, () -> m.resumeUpload(op, null));
    }
    List<String> added = new ArrayList<>();
    for (PendingUpload u : pending()) {
      if (!before.contains(u.uploadId())) {
        added.add(u.uploadId());
      }
    }
    assertEquals(1, added.size(), "the interrupted put left one upload on the store: " + added);
    return added.get(0);
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void anUploadOfALostStateDirIsListedThenAbortedWithYesAndAnOwnedOneIsNeverTouched() throws Exception {
    Path lost = tmp.resolve("lost-state");
    String orphan = interruptedPut(lost, "orphan.bin");
    deleteTree(lost);
    Path state = tmp.resolve("state");
    String owned = interruptedPut(state, "owned.bin");
    Path orphanDir = storeDir.resolve(".streamfs-uploads").resolve(orphan);
    assertTrue(Files.isDirectory(orphanDir), "the orphan's upload directory is on the store");

    // Default --older-than 1d: both uploads are seconds old, nothing is an orphan yet.
    Run young = cli("cleanup", "--orphans", "--store", storeUri, "--state-dir", state.toString());
    assertEquals(0, young.exit(), young.toString());
    assertTrue(young.out().startsWith("0 orphan upload(s)"), young.out());
    assertTrue(young.out().contains("kept 1 owned by a state dir, 1 younger"), young.out());

    // Listing only.
    Run listed = cli("cleanup", "--orphans", "--older-than", "0s", "--store", storeUri, "--state-dir",
        state.toString());
    assertEquals(0, listed.exit(), listed.toString());
    assertTrue(listed.out().contains("orphan orphan.bin upload " + orphan), listed.out());
    assertFalse(listed.out().contains(owned), listed.out());
    assertTrue(listed.out().contains("run again with --yes"), listed.out());
    assertEquals(Set.of(orphan, owned), pending().stream().map(PendingUpload::uploadId)
        .collect(Collectors.toSet()), "listing aborts nothing");
    assertTrue(Files.isDirectory(orphanDir));

    // --yes aborts the orphan, and only it.
    Run yes = cli("cleanup", "--orphans", "--older-than", "0s", "--yes", "--json", "--store", storeUri,
        "--state-dir", state.toString());
    assertEquals(0, yes.exit(), yes.toString());
    List<JsonNode> lines = new ArrayList<>();
    for (String l : yes.out().strip().split("\n")) {
      lines.add(JSON.readTree(l));
    }
    assertEquals(2, lines.size(), yes.out());
    assertEquals("aborted", lines.get(0).path("action").asText());
    assertEquals(orphan, lines.get(0).path("upload_id").asText());
    assertEquals("orphan.bin", lines.get(0).path("key").asText());
    assertEquals(1, lines.get(1).path("aborted").asInt());
    assertEquals(1, lines.get(1).path("kept_owned").asInt());
    assertFalse(Files.exists(orphanDir), "the orphan's upload directory is gone");
    assertEquals(List.of(owned), pending().stream().map(PendingUpload::uploadId).toList());
    try (LocalStore s = LocalStore.open(storeDir, false)) {
      s.listParts("owned.bin", owned); // still open: NOT_FOUND would throw
    }

    // Nothing left to do; the owned upload still untouched.
    Run again = cli("cleanup", "--orphans", "--older-than", "0s", "--yes", "--store", storeUri, "--state-dir",
        state.toString());
    assertEquals(0, again.exit(), again.toString());
    assertTrue(again.out().startsWith("0 orphan upload(s)"), again.out());
    assertEquals(List.of(owned), pending().stream().map(PendingUpload::uploadId).toList());
  }

  @Test
  void anUploadAnotherConsultedStateDirOwnsIsKept() throws Exception {
    Path other = tmp.resolve("other-state");
    String owned = interruptedPut(other, "elsewhere.bin");
    Path fresh = tmp.resolve("fresh");
    Run kept = cli("cleanup", "--orphans", "--older-than", "0s", "--yes", "--store", storeUri, "--state-dir",
        fresh.toString(), "--keep-state-dir", other.toString());
    assertEquals(0, kept.exit(), kept.toString());
    assertEquals(List.of(owned), pending().stream().map(PendingUpload::uploadId).toList());
    // A mount's state dir under $XDG_STATE_HOME/streamfs/ is consulted without being named.
    Assumptions.assumeTrue(System.getenv("XDG_STATE_HOME") == null, "the state home derives from user.home");
    Path mountState = tmp.resolve("home/.local/state/streamfs/mnt_data");
    Files.createDirectories(mountState.getParent());
    Files.move(other, mountState);
    Run mount = cli("cleanup", "--orphans", "--older-than", "0s", "--yes", "--store", storeUri, "--state-dir",
        fresh.toString());
    assertEquals(0, mount.exit(), mount.toString());
    assertTrue(mount.out().contains("kept 1 owned"), mount.out());
    assertEquals(List.of(owned), pending().stream().map(PendingUpload::uploadId).toList());
    deleteTree(mountState);
    Run gone = cli("cleanup", "--orphans", "--older-than", "0s", "--yes", "--store", storeUri, "--state-dir",
        fresh.toString());
    assertEquals(0, gone.exit(), gone.toString());
    assertTrue(pending().isEmpty(), "with no catalog referencing it, the upload is an orphan: " + gone.out());
  }

  @Test
  void optionsOfTheOrphanModeAreRefusedWithoutItAndTheOldModeStillWorks() throws Exception {
    Path state = tmp.resolve("state");
    Run old = cli("cleanup", "--store", storeUri, "--state-dir", state.toString());
    assertEquals(0, old.exit(), old.toString());
    assertEquals("removed 0 operation(s) older than 7 day(s)", old.out().strip());
    Run bad = cli("cleanup", "--yes", "--store", storeUri, "--state-dir", state.toString());
    assertEquals(ExitCodes.USAGE, bad.exit(), bad.toString());
    Run badAge = cli("cleanup", "--orphans", "--older-than", "soon", "--store", storeUri, "--state-dir",
        state.toString());
    assertEquals(ExitCodes.USAGE, badAge.exit(), badAge.toString());
  }
}

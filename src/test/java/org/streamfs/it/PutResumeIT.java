package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamfs.catalog.Catalog;
import org.streamfs.model.OperationStatus;
import org.streamfs.model.StreamingOperation;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.local.LocalStore;
import org.streamfs.store.middleware.MeteredStore;
import org.streamfs.transfer.StreamingConfig;
import org.streamfs.transfer.StreamingManager;

/**
 * {@code streamfs put} killed with SIGKILL at several points, then resumed: the object is byte-identical and
 * the bytes sent again (parts the store already held) are at most parallel × chunk size.
 */
class PutResumeIT {
  static final int CHUNK = 1 << 20;
  static final int PARALLEL = 4;
  static final long SIZE = 96L * CHUNK + 12345;
  static final Pattern DONE = Pattern.compile("\"chunks_completed\":(\\d+)");

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "killed after {0} confirmed chunks")
  @ValueSource(ints = {0, 10, 50, 90})
  void killedPutResumesWithBoundedResend(int killAfter) throws Exception {
    Path src = tmp.resolve("big.bin");
    byte[] buf = new byte[1 << 16];
    Random r = new Random(killAfter);
    try (var out = Files.newOutputStream(src)) {
      for (long left = SIZE; left > 0; left -= buf.length) {
        r.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
    Path storeDir = tmp.resolve("store");
    Path state = tmp.resolve("state");
    Process p = Cli.builder("128m", Map.of(), "put", "--store", storeDir.toUri().toString(), "--create-store",
        "--state-dir", state.toString(), "--chunk-size", "1M", "--parallel", String.valueOf(PARALLEL),
        "--json", src.toString(), "docs/big.bin").start();
    String opId;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      assertTrue(first != null && first.contains("operation"), "op id printed first: " + first);
      opId = first.replaceAll(".*\"operation\":\"([0-9a-f]+)\".*", "$1");
      if (killAfter > 0) {
        for (String line; (line = err.readLine()) != null; ) {
          Matcher m = DONE.matcher(line);
          if (m.find() && Integer.parseInt(m.group(1)) >= killAfter) {
            break;
          }
        }
      }
      p.destroyForcibly(); // SIGKILL
      p.waitFor();
    }
    try (LocalStore local = LocalStore.open(storeDir, false); Catalog catalog = Catalog.open(state.resolve("catalog"))) {
      StreamingOperation op = catalog.getOperation(opId).orElseThrow();
      if (op.status() == OperationStatus.COMPLETED) {
        return; // finished before the kill landed: nothing to resume (still a valid outcome)
      }
      Set<Integer> heldBefore = new HashSet<>();
      for (PendingUpload u : local.listUploads("")) {
        for (PartReceipt pr : local.listParts(u.key(), u.uploadId())) {
          heldBefore.add(pr.partNumber());
        }
      }
      MeteredStore metered = new MeteredStore(local);
      Set<Integer> sentOnResume = new HashSet<>();
      RecordingStore recording = new RecordingStore(metered, sentOnResume);
      try (StreamingManager m = new StreamingManager(recording, catalog,
          StreamingConfig.builder().chunkSizeBytes(CHUNK).parallelChunks(PARALLEL).build())) {
        assertTrue(m.resumeUpload(opId, null));
        assertTrue(m.verifyUpload(opId));
      }
      Set<Integer> resent = new HashSet<>(sentOnResume);
      resent.retainAll(heldBefore);
      assertTrue(resent.size() <= PARALLEL, "parts re-sent " + resent + " exceed parallel chunks");
      int expectedMissing = (int) ((SIZE + CHUNK - 1) / CHUNK) - heldBefore.size();
      assertTrue(sentOnResume.size() <= expectedMissing + PARALLEL, "sent " + sentOnResume.size()
          + " parts on resume, store lacked " + expectedMissing);
      assertEquals(sha(src), sha(storeDir.resolve("docs/big.bin")), "byte-identical after resume");
      assertTrue(local.listUploads("").isEmpty(), "no orphan upload");
    }
  }

  static String sha(Path f) throws IOException {
    var md = org.streamfs.model.Sha256.newDigest();
    try (var in = Files.newInputStream(f)) {
      byte[] b = new byte[1 << 16];
      for (int n; (n = in.read(b)) > 0; ) {
        md.update(b, 0, n);
      }
    }
    return org.streamfs.model.Sha256.hex(md.digest());
  }

  /** Records the part numbers sent through it. */
  static final class RecordingStore extends org.streamfs.store.middleware.StoreDecorator {
    private final Set<Integer> parts;

    RecordingStore(org.streamfs.store.ObjectStore d, Set<Integer> parts) {
      super(d);
      this.parts = parts;
    }

    @Override
    protected <T> T around(org.streamfs.store.middleware.StoreOp op, String key,
        org.streamfs.store.middleware.StoreCall<T> call) throws org.streamfs.store.StoreException {
      return call.call();
    }

    @Override
    public PartReceipt uploadPart(String key, String uploadId, int partNumber, java.nio.ByteBuffer data,
        byte[] sha256) throws org.streamfs.store.StoreException {
      synchronized (parts) {
        parts.add(partNumber);
      }
      return super.uploadPart(key, uploadId, partNumber, data, sha256);
    }
  }

}

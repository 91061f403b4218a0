package org.streamfs.store.middleware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.model.Sha256;
import org.streamfs.store.StoreException;
import org.streamfs.store.local.LocalStore;

/** {@link MeteredStore} counts calls, failures and bytes of a real {@link LocalStore}. */
class MeteredStoreTest {
  @TempDir
  Path dir;

  @Test
  void countsCallsFailuresAndBytes() throws Exception {
    try (MeteredStore m = new MeteredStore(LocalStore.open(dir.resolve("s"), true))) {
      m.put("a", new byte[100], Map.of());
      String up = m.beginUpload("b", Map.of());
      byte[] part = new byte[1000];
      m.uploadPart("b", up, 1, ByteBuffer.wrap(part), Sha256.digest(part));
      m.uploadPart("b", up, 1, ByteBuffer.wrap(part), Sha256.digest(part));
      assertThrows(StoreException.class, () -> m.uploadPart("b", up, 2, ByteBuffer.wrap(part), new byte[32]));
      assertThrows(StoreException.class, () -> m.stat("missing"));
      try (var in = m.read("a", 10, 50, null)) {
        in.readAllBytes();
      }
      assertEquals(1, m.calls(StoreOp.PUT));
      assertEquals(3, m.calls(StoreOp.UPLOAD_PART));
      assertEquals(1, m.failures(StoreOp.UPLOAD_PART));
      assertEquals(1, m.failures(StoreOp.STAT));
      assertEquals(100 + 3000, m.bytesSent());
      assertEquals(50, m.bytesReceived());
      assertEquals(3L, m.snapshot().get(StoreOp.UPLOAD_PART));
      m.reset();
      assertEquals(0, m.bytesSent());
      assertEquals(0, m.calls(StoreOp.PUT));
    }
  }
}

package org.streamfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamfs.model.Sha256;
import org.streamfs.testing.MemoryStore;

/** The contract on {@link MemoryStore}, plus its S3-like minimum part size when configured. */
class MemoryStoreTest extends ObjectStoreContract {

  @Override
  protected ObjectStore newStore() {
    return new MemoryStore();
  }

  @Test
  void minimumPartSizeIsEnforcedOnAllButTheLastPart() throws Exception {
    MemoryStore s3like = new MemoryStore(new StoreLimits(100, 1000, 10));
    String up = s3like.beginUpload("k", Map.of());
    byte[] small = data(50, 1);
    PartReceipt r1 = s3like.uploadPart("k", up, 1, ByteBuffer.wrap(small), Sha256.digest(small));
    PartReceipt r2 = s3like.uploadPart("k", up, 2, ByteBuffer.wrap(small), Sha256.digest(small));
    StoreException e = assertThrows(StoreException.class, () -> s3like.completeUpload("k", up, List.of(r1, r2)));
    assertEquals(StoreException.Kind.PERMANENT, e.kind());
    s3like.completeUpload("k", up, List.of(r1));
    assertArrayEquals(small, s3like.bytes("k"));
    byte[] b = data(10, 1);
    String up2 = s3like.beginUpload("k", Map.of());
    assertThrows(StoreException.class, () -> s3like.uploadPart("k", up2, 11, ByteBuffer.wrap(b), Sha256.digest(b)));
  }
}

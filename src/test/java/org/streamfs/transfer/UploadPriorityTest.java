package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.streamfs.fs.fuse.ThreadNice;

/** Upload threads run at the configured niceness (read back from the kernel); other threads do not. */
class UploadPriorityTest {
  @AfterEach
  void reset() {
    UploadPriority.set(0, null);
  }

  @Test
  void backgroundThreadsAreNicerAndOthersAreNot() throws Exception {
    int mine = UploadPriority.currentThreadNice();
    UploadPriority.set(7, ThreadNice::setCurrentThread);
    ExecutorService bg = Executors.newSingleThreadExecutor(EngineContext.background("test-bg"));
    ExecutorService fg = Executors.newSingleThreadExecutor(EngineContext.daemon("test-fg"));
    try {
      assertEquals(Math.max(mine, 7), (int) bg.submit(UploadPriority::currentThreadNice).get());
      assertTrue(bg.submit(UploadPriority::onBackgroundThread).get());
      assertEquals(mine, (int) fg.submit(UploadPriority::currentThreadNice).get());
      assertFalse(fg.submit(UploadPriority::onBackgroundThread).get());
    } finally {
      bg.shutdownNow();
      fg.shutdownNow();
    }
  }

  @Test
  void outOfRangeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> UploadPriority.set(20, ThreadNice::setCurrentThread));
    assertThrows(IllegalArgumentException.class, () -> UploadPriority.set(-1, ThreadNice::setCurrentThread));
  }
}

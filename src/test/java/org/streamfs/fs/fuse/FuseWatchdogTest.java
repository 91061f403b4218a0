package org.streamfs.fs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The watchdog reports a FUSE call that runs past its limit once, with the call, its path and a dump that
 * shows where the blocked thread waits; a call that returned is not reported.
 */
class FuseWatchdogTest {
  @Test
  void aCallPastTheLimitIsReportedOnceWithAThreadDump() throws Exception {
    Logger log = (Logger) LoggerFactory.getLogger(FuseWatchdog.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    log.addAppender(seen);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    Thread t = new Thread(() -> FuseCall.run("write", "/blocked/file", () -> {
      entered.countDown();
      release.await();
      return 0;
    }), "test-fuse-writer");
    try {
      FuseCall.run("getattr", "/quick", () -> 0);
      t.start();
      entered.await();
      Thread.sleep(30);
      FuseWatchdog.check(10_000_000L);
      FuseWatchdog.check(10_000_000L);
      assertEquals(1, seen.list.size(), "one report for one stuck call");
      String msg = seen.list.get(0).getFormattedMessage();
      assertTrue(msg.startsWith(FuseWatchdog.STUCK + ": write /blocked/file"), msg);
      assertTrue(msg.contains("\"test-fuse-writer\"") && msg.contains("CountDownLatch.await"), msg);
      assertTrue(!msg.contains("/quick"), msg);
      release.countDown();
      t.join();
      seen.list.clear();
      FuseWatchdog.check(0);
      assertTrue(seen.list.isEmpty(), "a call that returned is not reported");
    } finally {
      release.countDown();
      log.detachAppender(seen);
    }
  }
}

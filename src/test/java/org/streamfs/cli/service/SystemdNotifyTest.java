package org.streamfs.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.streamfs.testing.Require.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends real datagrams to a real unix socket bound by an independent receiver ({@link NotifyReceiver}, as
 * systemd would bind it), so the wire format is checked by something other than our own code.
 */
class SystemdNotifyTest {
  @TempDir Path tmp;

  @Test
  void pathSocketReceivesReadyStatusStoppingAndExtend() throws Exception {
    List<String> got = exchange(tmp.resolve("notify.sock").toString(), n -> {
      assertTrue(n.enabled());
      assertTrue(n.ready("mounted /mnt/docs"));
      assertTrue(n.status("flushing 3 uploads\n(12 MiB)"));
      assertTrue(n.extendTimeout(Duration.ofSeconds(30)));
      assertTrue(n.stopping("unmounting"));
    }, 4);
    assertEquals(List.of("READY=1\\nSTATUS=mounted /mnt/docs", "STATUS=flushing 3 uploads (12 MiB)",
        "EXTEND_TIMEOUT_USEC=30000000", "STOPPING=1\\nSTATUS=unmounting"), got);
  }

  @Test
  void abstractSocketWorksToo() throws Exception {
    String name = "@streamfs-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    List<String> got = exchange(name, n -> assertTrue(n.ready("ok")), 1);
    assertEquals(List.of("READY=1\\nSTATUS=ok"), got);
  }

  @Test
  void withoutSocketEverythingIsANoOp() {
    SystemdNotify n = SystemdNotify.forSocket(null);
    assertFalse(n.enabled());
    assertFalse(n.ready("x"));
    assertFalse(SystemdNotify.forSocket("").stopping("x"));
  }

  @Test
  void aMissingSocketFailsQuietly() {
    SystemdNotify n = SystemdNotify.forSocket(tmp.resolve("nobody-listens").toString());
    assertTrue(n.enabled());
    assertFalse(n.ready("x"));
    assertFalse(n.ready("x"), "second failure is quiet too");
    assertFalse(SystemdNotify.forSocket("relative/path").ready("x"));
  }

  @Test
  void socketAddressLayoutMatchesSockaddrUn() {
    byte[] a = SystemdNotify.socketAddress("/run/x");
    assertEquals(2 + 6 + 1, a.length);
    assertEquals(1, a[0] | a[1] << 8, "AF_UNIX in native (little-endian) order");
    assertEquals('/', a[2]);
    assertEquals(0, a[8]);
    byte[] b = SystemdNotify.socketAddress("@abc");
    assertEquals(2 + 1 + 3, b.length);
    assertEquals(0, b[2]);
    assertEquals('a', b[3]);
  }

  interface Sender {
    void send(SystemdNotify n) throws Exception;
  }

  private List<String> exchange(String socket, Sender sender, int count) throws Exception {
    assumeTrue(NotifyReceiver.available(), "python3 is needed as the receiver");
    try (NotifyReceiver r = NotifyReceiver.bind(socket)) {
      sender.send(SystemdNotify.forSocket(socket));
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        lines.add(r.next(10));
      }
      assertEquals(List.of(), r.drain(100), "nothing more");
      return lines;
    }
  }
}

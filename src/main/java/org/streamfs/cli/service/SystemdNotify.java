package org.streamfs.cli.service;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.fs.fuse.UnixDatagram;

/**
 * systemd's {@code sd_notify(3)} protocol in Java: one datagram of {@code KEY=value} lines sent to the unix socket
 * named by {@code $NOTIFY_SOCKET} (a path, or an abstract name when it starts with {@code @}). Java 17 has no
 * unix datagram sockets, so the send goes through libc ({@link UnixDatagram}, in the package that holds
 * all native calls). Without {@code NOTIFY_SOCKET} (not started by systemd, or {@code Type=} other
 * than notify) every call is a cheap no-op and libc is not even loaded. A failed send is logged once and never
 * thrown: a notification must not take the mount down. Thread-safe.
 */
public final class SystemdNotify implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
  private static final int AF_UNIX = 1;
  private static final int SUN_PATH_MAX = 108;

  private final String socket;
  private boolean warned;

  private SystemdNotify(String socket) {
    this.socket = socket == null || socket.isEmpty() ? null : socket;
  }

  /** Notifications to {@code $NOTIFY_SOCKET}, or a no-op when it is unset. */
  public static SystemdNotify fromEnvironment() {
    return new SystemdNotify(System.getenv("NOTIFY_SOCKET"));
  }

  /** Notifications to the given socket ({@code /run/...} or {@code @abstract}); null means none. */
  public static SystemdNotify forSocket(String socket) {
    return new SystemdNotify(socket);
  }

  /** Whether there is anyone to tell (the process runs under a {@code Type=notify} unit). */
  public boolean enabled() {
    return socket != null;
  }

  /** {@code READY=1} with a status line: the mount answers, systemd may start what depends on it. */
  public boolean ready(String status) {
    return send("READY=1\nSTATUS=" + oneLine(status));
  }

  /** {@code STOPPING=1} with a status line: the daemon begins its shutdown (flush, then unmount). */
  public boolean stopping(String status) {
    return send("STOPPING=1\nSTATUS=" + oneLine(status));
  }

  /** A free-form status line, shown by {@code systemctl status}. */
  public boolean status(String status) {
    return send("STATUS=" + oneLine(status));
  }

  /**
   * Asks systemd to wait {@code extra} longer than it would now before giving up on the current start or stop
   * ({@code EXTEND_TIMEOUT_USEC}); sent repeatedly while a flush makes progress.
   */
  public boolean extendTimeout(Duration extra) {
    return send("EXTEND_TIMEOUT_USEC=" + Math.max(0, extra.toNanos() / 1000));
  }

  /** Sends raw {@code KEY=value} lines; false if disabled or the send failed (logged once). */
  public synchronized boolean send(String state) {
    if (socket == null) {
      return false;
    }
    try {
      sendDatagram(state.getBytes(StandardCharsets.UTF_8));
      return true;
    } catch (RuntimeException | LinkageError e) {
      if (!warned) {
        warned = true;
        LOG.warn("cannot notify systemd at {}: {}", socket, e.getMessage());
      }
      return false;
    }
  }

  private void sendDatagram(byte[] message) {
    UnixDatagram.send(socketAddress(socket), message);
  }

  /**
   * A {@code struct sockaddr_un} of exactly the used length: the family in native byte order, then the path
   * with its NUL, or for an abstract socket a NUL and the name without a terminator (as sd_notify does).
   */
  static byte[] socketAddress(String socket) {
    boolean abstractName = socket.startsWith("@");
    byte[] name = (abstractName ? socket.substring(1) : socket).getBytes(StandardCharsets.UTF_8);
    if (!abstractName && !socket.startsWith("/")) {
      throw new IllegalArgumentException("NOTIFY_SOCKET is neither an absolute path nor @abstract: " + socket);
    }
    int pathLen = name.length + 1;
    if (pathLen > SUN_PATH_MAX) {
      throw new IllegalArgumentException("NOTIFY_SOCKET path too long: " + socket);
    }
    ByteBuffer b = ByteBuffer.allocate(2 + pathLen).order(ByteOrder.nativeOrder());
    b.putShort((short) AF_UNIX);
    if (abstractName) {
      b.put((byte) 0).put(name);
    } else {
      b.put(name).put((byte) 0);
    }
    return b.array();
  }

  private static String oneLine(String s) {
    return s.replace('\n', ' ');
  }

  /** Nothing to release (each send uses its own short-lived socket); present for try-with-resources. */
  @Override
  public void close() {}
}

package org.streamfs.fs.fuse;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * Sends one datagram on a unix socket through libc's {@code socket}/{@code sendto} (Java 17 has unix
 * stream sockets only), for systemd's notify protocol ({@code cli.service.SystemdNotify}). Here because this
 * package is the one that calls native code; libc is loaded on the first send.
 */
public final class UnixDatagram {
  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int MSG_NOSIGNAL = 0x4000;

  /** The few libc calls needed; public because jnr-ffi generates the implementation. */
  public interface LibC {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    @ssize_t long sendto(int fd, @In byte[] buf, @size_t long len, int flags, @In byte[] addr, int addrLen);

    int close(int fd);
  }

  private static final class Native {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
  }

  private UnixDatagram() {}

  /**
   * Sends {@code message} whole to the socket whose {@code struct sockaddr_un} (family, then path) is
   * {@code address}, from a short-lived socket; throws IllegalStateException with the errno when it cannot.
   */
  public static void send(byte[] address, byte[] message) {
    LibC libc = Native.LIBC;
    int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new IllegalStateException("socket(AF_UNIX) failed, errno " + errno());
    }
    try {
      long sent = libc.sendto(fd, message, message.length, MSG_NOSIGNAL, address, address.length);
      if (sent < 0) {
        throw new IllegalStateException("sendto failed, errno " + errno());
      }
      if (sent != message.length) {
        throw new IllegalStateException("sendto sent " + sent + " of " + message.length + " bytes");
      }
    } finally {
      libc.close(fd);
    }
  }

  private static int errno() {
    return LastError.getLastError(Runtime.getRuntime(Native.LIBC));
  }
}

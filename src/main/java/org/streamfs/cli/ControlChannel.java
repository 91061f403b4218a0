package org.streamfs.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local line protocol between the CLI and a running mount daemon, over the unix socket
 * {@code STATE_DIR/control.sock} (mode 0600, inside the 0700 state dir). A client sends one command line;
 * the daemon answers with lines and closes. Commands: {@code sync} (progress lines "pending FILES BYTES"
 * until every closed file's upload has ended, then one line "failed TAB KEY TAB OP TAB REASON" per file
 * whose latest bytes are not in the store (OP "-" when unknown; keys hold no tab or newline, which names
 * keep escaped), then "done"), {@code status} (one line per upload in flight), {@code pid}.
 */
final class ControlChannel {
  private static final Logger LOG = LoggerFactory.getLogger(ControlChannel.class);

  /** Answers one command, writing lines to {@code out}. */
  @FunctionalInterface
  interface Handler {
    void handle(String command, PrintWriter out) throws Exception;
  }

  private ControlChannel() {}

  /** The sync answer's line for a file whose latest bytes are not in the store. */
  static String failedLine(org.streamfs.fs.FailedUpload f) {
    String reason = f.reason() == null ? "upload failed" : f.reason().replaceAll("[\\t\\r\\n]+", " ");
    return "failed\t" + f.key() + "\t" + (f.operationId() == null ? "-" : f.operationId()) + "\t" + reason;
  }

  /** A "failed" line of the sync answer read back; null if {@code line} is not one. */
  static org.streamfs.fs.FailedUpload parseFailed(String line) {
    if (!line.startsWith("failed\t")) {
      return null;
    }
    String[] f = line.split("\t", 4);
    if (f.length < 4) {
      return null;
    }
    return new org.streamfs.fs.FailedUpload(f[1], f[2].equals("-") ? null : f[2], f[3]);
  }

  static Path socket(Path stateDir) {
    return stateDir.resolve("control.sock");
  }

  /** Starts serving on a daemon thread; returns the server channel (close it to stop). */
  static ServerSocketChannel serve(Path stateDir, Handler handler) throws IOException {
    Path sock = socket(stateDir);
    Files.deleteIfExists(sock);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(sock));
    Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
    Thread t = new Thread(() -> {
      while (server.isOpen()) {
        try {
          SocketChannel c = server.accept();
          Thread w = new Thread(() -> answer(c, handler), "control-client");
          w.setDaemon(true);
          w.start();
        } catch (IOException e) {
          if (server.isOpen()) {
            LOG.warn("control socket: {}", e.toString());
          }
        }
      }
    }, "control");
    t.setDaemon(true);
    t.start();
    return server;
  }

  private static void answer(SocketChannel c, Handler handler) {
    try (c;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
            StandardCharsets.UTF_8));
        Writer w = Channels.newWriter(c, StandardCharsets.UTF_8);
        PrintWriter out = new PrintWriter(w, true)) {
      String cmd = in.readLine();
      if (cmd != null) {
        handler.handle(cmd.strip(), out);
      }
      out.flush();
    } catch (Exception e) {
      LOG.warn("control command failed: {}", e.toString());
    }
  }

  /** Sends a command to the daemon of {@code stateDir}; each answer line goes to {@code lines}. */
  static void call(Path stateDir, String command, Consumer<String> lines) throws IOException {
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket(stateDir)))) {
      Writer w = Channels.newWriter(c, StandardCharsets.UTF_8);
      w.write(command + "\n");
      w.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
          StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        lines.accept(line);
      }
    }
  }
}

package org.streamfs.cli.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The systemd side of sd_notify for tests: a python3 process binds a unix datagram socket (a path, or an
 * abstract name starting with @) and prints every message it receives; {@link #next} returns them in order,
 * with newlines shown as {@code \n}. Independent of our sender, so it checks the wire format.
 */
final class NotifyReceiver implements AutoCloseable {
  private static final String SCRIPT = String.join("\n",
      "import socket, sys",
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
      "name = sys.argv[1]",
      "s.bind('\\0' + name[1:] if name.startswith('@') else name)",
      "print('BOUND', flush=True)",
      "while True:",
      "    print(s.recv(65536).decode().replace('\\n', '\\\\n'), flush=True)");

  private final Process process;
  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
  final String socket;

  private NotifyReceiver(String socket) throws IOException {
    this.socket = socket;
    process = new ProcessBuilder("/usr/bin/python3", "-c", SCRIPT, socket).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String first = out.readLine();
    if (!"BOUND".equals(first)) {
      process.destroyForcibly();
      throw new IOException("notify receiver did not start: " + first);
    }
    Thread t = new Thread(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          messages.add(line);
        }
      } catch (IOException e) {
        messages.add("receiver failed: " + e);
      }
    }, "notify-receiver");
    t.setDaemon(true);
    t.start();
  }

  static boolean available() {
    return Files.isExecutable(Path.of("/usr/bin/python3"));
  }

  static NotifyReceiver bind(String socket) throws IOException {
    return new NotifyReceiver(socket);
  }

  /** The next message, or null after {@code seconds}. */
  String next(int seconds) throws InterruptedException {
    return messages.poll(seconds, TimeUnit.SECONDS);
  }

  /** Every message received so far and within {@code millis} more. */
  List<String> drain(long millis) throws InterruptedException {
    List<String> all = new ArrayList<>();
    for (String m; (m = messages.poll(millis, TimeUnit.MILLISECONDS)) != null; ) {
      all.add(m);
    }
    return all;
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}

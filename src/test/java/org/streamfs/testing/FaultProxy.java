package org.streamfs.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * A tiny HTTP/1.1 proxy on 127.0.0.1 that sits between a client and a real server to inject faults: the next
 * matching requests can be answered with 503 SlowDown, have their connection reset, be swallowed (no
 * answer ever), or be done by the server with the answer lost on the way back. Every request head is recorded so a test can check what the client sent. One request per
 * connection: the proxy forces {@code Connection: close} upstream and then pipes bytes both ways.
 */
public final class FaultProxy implements AutoCloseable {
  /** What to do with a request. */
  public enum Fault {
    /** Answer 503 SlowDown without asking the server. */
    SLOW_DOWN,
    /** Reset the connection without asking the server. */
    RESET,
    /** Read the request and never answer. */
    BLACKHOLE,
    /** Let the server do the request, then reset the connection instead of passing its answer on. */
    LOSE_RESPONSE
  }

  /** A request as the client sent it: method, path with query, headers (names lower-case). */
  public record Request(String method, String target, Map<String, String> headers) {}

  private record Rule(Predicate<Request> when, Fault fault) {}

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final ConcurrentLinkedQueue<Rule> rules = new ConcurrentLinkedQueue<>();
  private final List<Request> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
  private final Thread acceptor;

  public FaultProxy(URI upstreamEndpoint) throws IOException {
    this.upstream = new InetSocketAddress(upstreamEndpoint.getHost(), upstreamEndpoint.getPort());
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "fault-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** The next request matching {@code when} gets {@code fault} (rules are used once, in order). */
  public void failNext(Predicate<Request> when, Fault fault) {
    rules.add(new Rule(when, fault));
  }

  /** All requests seen so far. */
  public List<Request> requests() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        open.add(client);
        Thread t = new Thread(() -> handle(client), "fault-proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void handle(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      byte[] head = readHead(in);
      if (head == null) {
        return;
      }
      String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
      String[] first = lines[0].split(" ");
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int c = lines[i].indexOf(':');
        if (c > 0) {
          headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
      }
      Request req = new Request(first[0], first.length > 1 ? first[1] : "", headers);
      seen.add(req);
      Fault fault = takeFault(req);
      if (fault == Fault.SLOW_DOWN) {
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please "
            + "reduce your request rate.</Message></Error>").getBytes(StandardCharsets.UTF_8);
        OutputStream out = client.getOutputStream();
        out.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        return;
      }
      if (fault == Fault.RESET) {
        client.setSoLinger(true, 0);
        return;
      }
      if (fault == Fault.BLACKHOLE) {
        in.transferTo(OutputStream.nullOutputStream());
        return;
      }
      forward(client, in, lines, fault == Fault.LOSE_RESPONSE);
    } catch (IOException e) {
      // the client or the server went away: nothing to do
    } finally {
      open.remove(client);
    }
  }

  private Fault takeFault(Request req) {
    for (Rule r : rules) {
      if (r.when().test(req) && rules.remove(r)) {
        return r.fault();
      }
    }
    return null;
  }

  private void forward(Socket client, InputStream in, String[] lines, boolean loseResponse) throws IOException {
    try (Socket up = new Socket()) {
      up.connect(upstream, 5000);
      open.add(up);
      StringBuilder sb = new StringBuilder(lines[0]).append("\r\n");
      for (int i = 1; i < lines.length; i++) {
        if (!lines[i].toLowerCase(Locale.ROOT).startsWith("connection:")) {
          sb.append(lines[i]).append("\r\n");
        }
      }
      sb.append("Connection: close\r\n\r\n");
      OutputStream upOut = up.getOutputStream();
      upOut.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
      upOut.flush();
      Thread body = new Thread(() -> {
        try {
          in.transferTo(upOut);
        } catch (IOException e) {
          // connection closed
        }
      }, "fault-proxy-body");
      body.setDaemon(true);
      body.start();
      if (loseResponse) {
        up.getInputStream().transferTo(OutputStream.nullOutputStream());
        client.setSoLinger(true, 0);
        return;
      }
      up.getInputStream().transferTo(client.getOutputStream());
      client.getOutputStream().flush();
    } finally {
      open.removeIf(Socket::isClosed);
    }
  }

  /** The request head up to and including the blank line (without it), or null at EOF. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
          ? state + 1 : (c == '\r' ? 1 : 0);
      if (state == 4) {
        byte[] all = b.toByteArray();
        return java.util.Arrays.copyOf(all, all.length - 4);
      }
      if (b.size() > 64 * 1024) {
        throw new IOException("request head too long");
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (open) {
      for (Socket s : open) {
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }
}

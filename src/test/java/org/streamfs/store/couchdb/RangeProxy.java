package org.streamfs.store.couchdb;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fault-injecting HTTP proxy in front of a real pouchdb-server, for the read path that pouchdb-server
 * never takes: it answers Range requests with 206 as Apache CouchDB does ({@link Mode#HONOUR}), or with a
 * wrong Content-Range ({@link Mode#WRONG_RANGE}), or cuts the body short ({@link Mode#TRUNCATE}).
 * Everything else is passed through unchanged.
 */
final class RangeProxy implements AutoCloseable {
  enum Mode {
    HONOUR, WRONG_RANGE, TRUNCATE
  }

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
  private static final List<String> FORWARDED = List.of("Content-Type", "Authorization", "Accept");
  private final HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  private final String upstream;
  private final AtomicInteger partials = new AtomicInteger();
  volatile Mode mode = Mode.HONOUR;

  RangeProxy(String upstream) throws IOException {
    this.upstream = upstream.endsWith("/") ? upstream.substring(0, upstream.length() - 1) : upstream;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** How many 206 answers were given. */
  int partials() {
    return partials.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI().toString()))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      for (String h : FORWARDED) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<byte[]> r;
      try {
        r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      r.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
      String range = ex.getRequestHeaders().getFirst("Range");
      Matcher m = range == null ? null : RANGE.matcher(range);
      byte[] out = r.body();
      if (m != null && m.matches() && r.statusCode() == 200) {
        int from = Integer.parseInt(m.group(1));
        int to = Math.min(out.length - 1, Integer.parseInt(m.group(2)));
        if (mode == Mode.TRUNCATE) {
          ex.sendResponseHeaders(200, 0); // chunked: the body simply ends too early
          try (OutputStream os = ex.getResponseBody()) {
            os.write(out, 0, Math.max(0, Math.min(out.length, from + (to - from + 1) / 2)));
          }
          return;
        }
        int shift = mode == Mode.WRONG_RANGE ? 1 : 0;
        ex.getResponseHeaders().set("Content-Range", "bytes " + (from + shift) + "-" + (to + shift) + "/"
            + out.length);
        partials.incrementAndGet();
        ex.sendResponseHeaders(206, to - from + 1);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out, from, to - from + 1);
        }
        return;
      }
      ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}

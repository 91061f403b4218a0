package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * The HTTP side of the CouchDB store: one JDK {@link HttpClient}, the database URL, the Basic credentials
 * (sent pre-emptively, never logged or put in a message), percent-encoding of document ids and attachment
 * names, and the mapping of HTTP outcomes to {@link StoreException} kinds. It knows nothing of files or
 * uploads; it never retries.
 */
final class CouchDbHttp {
  static final ObjectMapper JSON = new ObjectMapper();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Duration SMALL_TIMEOUT = Duration.ofSeconds(60);
  /** Headers of a big upload arrive only after the whole body was received and stored. */
  private static final Duration BIG_TIMEOUT = Duration.ofMinutes(30);
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** A finished exchange: status and the body parsed as JSON (null when there is none or it is not JSON). */
  record Reply(int status, JsonNode body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  private final HttpClient client;
  private final String serverUrl;
  private final String dbUrl;
  private final String db;
  private final String described;
  private final String authorization;

  CouchDbHttp(String serverUrl, String db, String described, String user, String password) {
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    this.serverUrl = serverUrl.endsWith("/") ? serverUrl : serverUrl + "/";
    this.db = db;
    this.dbUrl = this.serverUrl + encode(db);
    this.described = described;
    this.authorization = user == null ? null : "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  String db() {
    return db;
  }

  String describe() {
    return described;
  }

  /** URL of a document (and attachment, when {@code attachment} is non-null) with an optional query. */
  URI docUri(String docId, String attachment, String query) {
    StringBuilder sb = new StringBuilder(dbUrl).append('/').append(encode(docId));
    if (attachment != null) {
      sb.append('/').append(encode(attachment));
    }
    if (query != null && !query.isEmpty()) {
      sb.append('?').append(query);
    }
    return URI.create(sb.toString());
  }

  /** URL below the database, e.g. {@code _all_docs}, with an optional query. */
  URI dbUri(String path, String query) {
    String s = path == null || path.isEmpty() ? dbUrl : dbUrl + "/" + path;
    return URI.create(query == null || query.isEmpty() ? s : s + "?" + query);
  }

  URI serverUri() {
    return URI.create(serverUrl);
  }

  HttpRequest.Builder request(URI uri, boolean big) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(big ? BIG_TIMEOUT : SMALL_TIMEOUT)
        .header("Accept", "application/json");
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b;
  }

  /** Sends a request whose answer is small JSON. */
  Reply send(HttpRequest request, String key) throws StoreException {
    HttpResponse<byte[]> r = exchange(request, HttpResponse.BodyHandlers.ofByteArray(), key);
    JsonNode body = null;
    if (r.body() != null && r.body().length > 0) {
      try {
        body = JSON.readTree(r.body());
      } catch (IOException e) {
        body = null;
      }
    }
    return new Reply(r.statusCode(), body);
  }

  Reply get(URI uri, String key) throws StoreException {
    return send(request(uri, false).GET().build(), key);
  }

  Reply putJson(URI uri, JsonNode body, String key) throws StoreException {
    return send(request(uri, false).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(toBytes(body))).build(), key);
  }

  Reply postJson(URI uri, JsonNode body, String key) throws StoreException {
    return send(request(uri, false).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(toBytes(body))).build(), key);
  }

  /** Sends a request and hands back the streamed body; the caller closes it. */
  HttpResponse<InputStream> stream(HttpRequest request, String key) throws StoreException {
    return exchange(request, HttpResponse.BodyHandlers.ofInputStream(), key);
  }

  private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler, String key)
      throws StoreException {
    try {
      return client.send(request, handler);
    } catch (HttpConnectTimeoutException e) {
      throw new StoreException(Kind.TRANSIENT, key, "cannot reach CouchDB at " + described
          + ": connection timed out", e);
    } catch (ConnectException e) {
      throw new StoreException(Kind.TRANSIENT, key, "cannot reach CouchDB at " + described
          + ": connection refused (is the server running?)", e);
    } catch (HttpTimeoutException e) {
      throw new StoreException(Kind.TRANSIENT, key, "CouchDB at " + described + " did not answer "
          + request.method() + " in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(Kind.TRANSIENT, key, "interrupted during " + request.method(), e);
    } catch (IOException e) {
      StoreException inner = causeOfKind(e);
      if (inner != null) {
        throw inner;
      }
      throw new StoreException(Kind.TRANSIENT, key, "I/O error talking to CouchDB at " + described + ": "
          + e, e);
    }
  }

  /** A StoreException raised inside a streamed request body (checksum failure) surfaces as the cause. */
  private static StoreException causeOfKind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreException se) {
        return se;
      }
    }
    return null;
  }

  /** The failure a non-2xx reply stands for, with a message naming the operation and key. */
  StoreException failure(Reply r, String what, String key) {
    return failure(r.status(), r.body(), what, key);
  }

  StoreException failure(int status, JsonNode body, String what, String key) {
    String error = body == null ? "" : body.path("error").asText("");
    String reason = body == null ? "" : body.path("reason").asText("");
    String detail = what + ": HTTP " + status + (error.isEmpty() ? "" : " " + error)
        + (reason.isEmpty() ? "" : " (" + reason + ")");
    switch (status) {
      case 401:
        return new StoreException(Kind.ACCESS_DENIED, key, detail + "; CouchDB at " + described
            + " rejected the credentials: check STREAMFS_COUCHDB_USER/STREAMFS_COUCHDB_PASSWORD or the file"
            + " named by STREAMFS_COUCHDB_CREDENTIALS");
      case 403:
        return new StoreException(Kind.ACCESS_DENIED, key, detail + "; the CouchDB user has no permission"
            + " on database " + db);
      case 404:
        return new StoreException(Kind.NOT_FOUND, key, detail);
      case 409:
      case 412:
        return new StoreException(Kind.PRECONDITION_FAILED, key, detail);
      case 413:
        return new StoreException(Kind.PERMANENT, key, detail + "; the request is larger than the server"
            + " accepts (CouchDB: [chttpd] max_http_request_size, [couchdb] max_attachment_size)");
      case 408:
      case 429:
        return new StoreException(Kind.TRANSIENT, key, detail);
      default:
        if (status >= 500) {
          String all = (error + " " + reason).toLowerCase(java.util.Locale.ROOT);
          Kind k = all.contains("enospc") || all.contains("no space") ? Kind.NO_SPACE : Kind.TRANSIENT;
          return new StoreException(k, key, detail);
        }
        return new StoreException(Kind.PERMANENT, key, detail);
    }
  }

  static byte[] toBytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
  }

  static ObjectNode object() {
    return NODES.objectNode();
  }

  /** Query parameter whose value is a JSON string (startkey, key...), percent-encoded. */
  static String jsonParam(String name, String value) {
    return name + "=" + encode(NODES.textNode(value).toString());
  }

  static String param(String name, String value) {
    return name + "=" + encode(value);
  }

  /** Percent-encodes every byte except RFC 3986 unreserved characters ({@code /} becomes %2F). */
  static String encode(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
          || c == '.' || c == '_' || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
      }
    }
    return sb.toString();
  }

  /** Builds a small ObjectNode from string pairs. */
  static ObjectNode stringMap(Map<String, String> map) {
    ObjectNode n = object();
    if (map != null) {
      map.forEach(n::put);
    }
    return n;
  }
}

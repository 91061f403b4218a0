package org.streamfs.store.couchdb;

import java.net.URI;
import java.util.Map;
import java.util.regex.Pattern;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Opens a {@link CouchDbStore} from a store URI: {@code couchdb://host[:port]/db} (plain HTTP, port 5984 by
 * default) or {@code couchdbs://host[:port]/db} (HTTPS, port 6984 by default); a longer path
 * ({@code couchdbs://proxy/couch/db}) puts the server behind a path prefix, the last segment being the
 * database. Credentials come from {@link CouchDbCredentials}; user info in the URI is refused. The database
 * is checked at once: created when {@code create} is true, otherwise a missing one is a clear error.
 */
public final class CouchDbStores {
  private static final Pattern DB_NAME = Pattern.compile("^[a-z][a-z0-9_$()+/-]*$");

  private CouchDbStores() {}

  /** True for the schemes this adapter serves. */
  public static boolean handles(URI uri) {
    String s = uri.getScheme();
    return "couchdb".equalsIgnoreCase(s) || "couchdbs".equalsIgnoreCase(s);
  }

  public static CouchDbStore fromUri(URI uri, boolean create) throws StoreException {
    return fromUri(uri, create, System.getenv(), null);
  }

  /** As {@link #fromUri(URI, boolean)} with an explicit environment and (for tests) a forced write mode. */
  static CouchDbStore fromUri(URI uri, boolean create, Map<String, String> env, DocWriter.Mode mode)
      throws StoreException {
    if (!handles(uri)) {
      throw new StoreException(Kind.PERMANENT, null, "not a CouchDB store URI (couchdb:// or couchdbs://): "
          + uri.getScheme() + "://...");
    }
    boolean tls = "couchdbs".equalsIgnoreCase(uri.getScheme());
    if (uri.getRawUserInfo() != null) {
      throw new StoreException(Kind.PERMANENT, null, "credentials in the store URI are refused (they would"
          + " show in process lists, shell history and logs): remove the user@ part and set "
          + CouchDbCredentials.ENV_USER + "/" + CouchDbCredentials.ENV_PASSWORD + " or "
          + CouchDbCredentials.ENV_FILE);
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new StoreException(Kind.PERMANENT, null, "CouchDB store URI needs a host: "
          + uri.getScheme() + "://host:port/database");
    }
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 6984 : 5984;
    String path = uri.getPath() == null ? "" : uri.getPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    int slash = path.lastIndexOf('/');
    String db = path.substring(slash + 1);
    String base = slash > 0 ? path.substring(0, slash) : "";
    if (!DB_NAME.matcher(db).matches()) {
      throw new StoreException(Kind.PERMANENT, null, "'" + db + "' is not a CouchDB database name (lower"
          + " case letter first, then a-z 0-9 _ $ ( ) + - /): " + uri.getScheme() + "://" + host + ":" + port
          + "/database");
    }
    String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    String server = (tls ? "https://" : "http://") + hostPart + ":" + port + base + "/";
    String described = uri.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + hostPart + ":" + port
        + base + "/" + db;
    CouchDbCredentials creds = CouchDbCredentials.from(env);
    CouchDbHttp http = new CouchDbHttp(server, db, described, creds.user(), creds.password());
    CouchDbStore store = new CouchDbStore(http, mode);
    ensureDatabase(store, http, create);
    return store;
  }

  private static void ensureDatabase(CouchDbStore store, CouchDbHttp http, boolean create)
      throws StoreException {
    CouchDbHttp.Reply r = http.get(http.dbUri("", null), null);
    if (r.ok()) {
      return;
    }
    if (r.status() != 404) {
      throw http.failure(r, "GET database " + http.db(), null);
    }
    if (!create) {
      throw store.missingDatabase();
    }
    CouchDbHttp.Reply c = http.send(http.request(http.dbUri("", null), false)
        .PUT(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), null);
    if (!c.ok() && c.status() != 412) {
      throw http.failure(c, "create database " + http.db(), null);
    }
  }
}

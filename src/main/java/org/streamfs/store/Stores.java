package org.streamfs.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.local.LocalStore;

/**
 * Opens a store from its URI, the form users give on the command line ({@code --store}) and in
 * configuration: {@code file:///absolute/dir} for the local-directory store, {@code couchdb://host:port/db}
 * and {@code couchdbs://...} (TLS) for CouchDB. Each scheme is one case of a
 * switch that hands the parsed URI to its adapter; a URI that cannot be understood is refused with a message
 * naming what was wrong and the schemes that are known. Nothing here holds or logs credentials.
 */
public final class Stores {
  /** The schemes {@link #open} understands, for error messages and help texts. */
  public static final List<String> SCHEMES = List.of("file", "s3", "couchdb", "couchdbs");

  private Stores() {}

  /**
   * Opens the store named by {@code uri}; with {@code create}, a missing local directory is created (0700).
   * Bad URIs and unusable stores fail with a {@link StoreException} whose message says why.
   */
  public static ObjectStore open(String uri, boolean create) throws StoreException {
    if (uri == null || uri.isBlank()) {
      throw bad(uri, "it is empty");
    }
    URI u;
    try {
      u = new URI(uri.trim());
    } catch (URISyntaxException e) {
      throw bad(uri, e.getReason() + " at index " + e.getIndex() + " (spaces and % must be percent-encoded)");
    }
    String scheme = u.getScheme();
    if (scheme == null) {
      throw bad(uri, "it has no scheme; a local directory is written file:///absolute/path");
    }
    switch (scheme.toLowerCase(java.util.Locale.ROOT)) {
      case "file":
        return LocalStore.open(filePath(uri, u), create);
      case "s3":
        try {
          return org.streamfs.store.s3.S3Store.open(u);
        } catch (IllegalArgumentException e) {
          throw bad(uri, e.getMessage());
        }
      case "couchdb":
      case "couchdbs":
        return org.streamfs.store.couchdb.CouchDbStores.fromUri(u, create);
      default:
        throw bad(uri, "unknown scheme '" + scheme + "'; known schemes: " + String.join(", ", SCHEMES));
    }
  }

  private static Path filePath(String uri, URI u) throws StoreException {
    if (u.isOpaque() || u.getPath() == null || !u.getPath().startsWith("/")) {
      throw bad(uri, "a file store needs an absolute path: file:///absolute/path");
    }
    String host = u.getAuthority();
    if (host != null && !host.isEmpty() && !host.equals("localhost")) {
      throw bad(uri, "a file store cannot be on host '" + host + "' (did you mean file:///" + host
          + u.getPath() + "?)");
    }
    if (u.getQuery() != null || u.getFragment() != null) {
      throw bad(uri, "a file store URI takes no query or fragment");
    }
    return Path.of(u.getPath());
  }

  private static StoreException bad(String uri, String why) {
    return new StoreException(Kind.PERMANENT, null, "invalid store URI '" + redacted(uri) + "': " + why);
  }

  /** The URI with any user-info (user:secret@) replaced, so that a refusal never echoes a credential. */
  static String redacted(String uri) {
    return uri == null ? null : uri.replaceAll("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@", "$1***@");
  }
}

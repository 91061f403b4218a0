package org.streamfs.store.couchdb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Where the CouchDB user name and password come from: the environment ({@code STREAMFS_COUCHDB_USER} and
 * {@code STREAMFS_COUCHDB_PASSWORD}), or else a file named by {@code STREAMFS_COUCHDB_CREDENTIALS} holding
 * {@code user:password} on its first line and readable by its owner only (mode 0600 or 0400). Never from a
 * URI or command line; the password never appears in a message. No credentials means anonymous access.
 */
record CouchDbCredentials(String user, String password) {
  static final String ENV_USER = "STREAMFS_COUCHDB_USER";
  static final String ENV_PASSWORD = "STREAMFS_COUCHDB_PASSWORD";
  static final String ENV_FILE = "STREAMFS_COUCHDB_CREDENTIALS";
  static final CouchDbCredentials ANONYMOUS = new CouchDbCredentials(null, null);

  @Override
  public String toString() {
    return user == null ? "anonymous" : "user " + user + " (password hidden)";
  }

  static CouchDbCredentials from(Map<String, String> env) throws StoreException {
    String user = blankToNull(env.get(ENV_USER));
    String password = env.get(ENV_PASSWORD);
    if (user != null || password != null) {
      if (user == null || password == null) {
        throw new StoreException(Kind.ACCESS_DENIED, null, "set both " + ENV_USER + " and " + ENV_PASSWORD
            + " (only " + (user == null ? ENV_PASSWORD : ENV_USER) + " is set)");
      }
      return new CouchDbCredentials(user, password);
    }
    String file = blankToNull(env.get(ENV_FILE));
    return file == null ? ANONYMOUS : fromFile(Path.of(file));
  }

  static CouchDbCredentials fromFile(Path file) throws StoreException {
    String where = ENV_FILE + "=" + file;
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      Set<PosixFilePermission> loose = EnumSet.copyOf(perms);
      loose.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      if (!loose.isEmpty()) {
        throw new StoreException(Kind.ACCESS_DENIED, null, "credentials file " + where + " is readable by"
            + " others (" + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); run chmod 600 "
            + file);
      }
      String text = Files.readString(file, StandardCharsets.UTF_8);
      String line = text.lines().findFirst().orElse("").strip();
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new StoreException(Kind.ACCESS_DENIED, null, "credentials file " + where + " must hold"
            + " user:password on its first line");
      }
      return new CouchDbCredentials(line.substring(0, colon), line.substring(colon + 1));
    } catch (StoreException e) {
      throw e;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new StoreException(Kind.ACCESS_DENIED, null, "credentials file " + where + " does not exist", e);
    } catch (IOException e) {
      throw new StoreException(Kind.ACCESS_DENIED, null, "cannot read credentials file " + where + ": "
          + e.getClass().getSimpleName(), e);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}

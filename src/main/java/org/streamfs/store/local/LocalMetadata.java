package org.streamfs.store.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.streamfs.model.Sha256;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Object metadata and identity kept in user extended attributes of the object's file: each metadata pair as
 * {@code user.streamfs.m.<name>}, a random publish id as {@code user.streamfs.id}, and a part's SHA-256 as
 * {@code user.streamfs.sha256}. Attributes are written on the temp file before it is renamed into place, so an
 * object appears with its metadata in one step. The version is a fingerprint of publish id, size, mtime (ns)
 * and inode: it changes when the store publishes new bytes and also when another tool rewrites the file in
 * place, and stays when only metadata changes. {@code updateMetadata} rewrites the attributes in place, one
 * by one (a reader may see a mix for an instant; bytes are never affected). On a file system without user xattrs, objects without metadata still work; storing metadata fails
 * with a clear PERMANENT error.
 */
final class LocalMetadata {
  static final String META_PREFIX = "streamfs.m.";
  static final String ID = "streamfs.id";
  static final String SHA256 = "streamfs.sha256";
  /** Linux limits an xattr name to 255 bytes including "user.". */
  private static final int MAX_NAME_BYTES = 255 - "user.".length() - META_PREFIX.length();
  private static final int MAX_VALUE_BYTES = 4000;

  private LocalMetadata() {}

  /** Refuses metadata that cannot be stored as xattrs, naming the offending entry. */
  static void check(String key, Map<String, String> metadata) throws StoreException {
    if (metadata == null) {
      return;
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES
          || name.indexOf('\0') >= 0) {
        throw new StoreException(Kind.PERMANENT, key, "invalid metadata name '" + name + "'");
      }
      if (e.getValue() == null || e.getValue().getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
        throw new StoreException(Kind.PERMANENT, key, "metadata '" + name + "' must be a string of at most "
            + MAX_VALUE_BYTES + " bytes");
      }
    }
  }

  /** The user metadata of the file; empty when the file system has no xattrs. */
  static Map<String, String> read(Path file) throws IOException {
    UserDefinedFileAttributeView view = view(file);
    Map<String, String> out = new HashMap<>();
    try {
      for (String name : view.list()) {
        if (name.startsWith(META_PREFIX)) {
          String v = get(view, name);
          if (v != null) {
            out.put(name.substring(META_PREFIX.length()), v);
          }
        }
      }
    } catch (FileSystemException e) {
      if (unsupported(e)) {
        return Map.of();
      }
      throw e;
    }
    return out;
  }

  /** Replaces the user metadata of the file (names absent from the map are removed). */
  static void write(String key, Path file, Map<String, String> metadata) throws IOException {
    Map<String, String> meta = metadata == null ? Map.of() : metadata;
    UserDefinedFileAttributeView view = view(file);
    try {
      for (String name : view.list()) {
        if (name.startsWith(META_PREFIX) && !meta.containsKey(name.substring(META_PREFIX.length()))) {
          view.delete(name);
        }
      }
      for (Map.Entry<String, String> e : meta.entrySet()) {
        view.write(META_PREFIX + e.getKey(), StandardCharsets.UTF_8.encode(e.getValue()));
      }
    } catch (FileSystemException e) {
      if (unsupported(e)) {
        if (meta.isEmpty()) {
          return;
        }
        throw new StoreException(Kind.PERMANENT, key, "the file system of " + file.getParent()
            + " does not support user extended attributes, so object metadata cannot be stored", e);
      }
      throw e;
    }
  }

  /** Gives the file a fresh publish id (ignored where xattrs are unsupported). */
  static void newId(Path file) throws IOException {
    setQuietly(file, ID, UUID.randomUUID().toString().replace("-", ""));
  }

  /** Sets an xattr if the file system supports them; a no-op otherwise. */
  static void setQuietly(Path file, String name, String value) throws IOException {
    try {
      view(file).write(name, StandardCharsets.UTF_8.encode(value));
    } catch (FileSystemException e) {
      if (!unsupported(e)) {
        throw e;
      }
    }
  }

  /** The xattr's value, or null when absent or unsupported. */
  static String getQuietly(Path file, String name) throws IOException {
    UserDefinedFileAttributeView view = view(file);
    try {
      return view.list().contains(name) ? get(view, name) : null;
    } catch (FileSystemException e) {
      if (unsupported(e)) {
        return null;
      }
      throw e;
    }
  }

  /** The version fingerprint of the file with the given attributes. */
  static String version(Path file, BasicFileAttributes attrs) throws IOException {
    String id = getQuietly(file, ID);
    String finger = id + "|" + attrs.size() + "|" + attrs.lastModifiedTime().toInstant() + "|" + attrs.fileKey();
    return Sha256.hex(Sha256.digest(finger.getBytes(StandardCharsets.UTF_8))).substring(0, 24);
  }

  private static UserDefinedFileAttributeView view(Path file) throws IOException {
    UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
    if (view == null) {
      throw new FileSystemException(file.toString(), null, "Operation not supported");
    }
    return view;
  }

  /** The attribute's value, or null if it vanished since it was listed (a concurrent metadata update). */
  private static String get(UserDefinedFileAttributeView view, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        ByteBuffer buf = ByteBuffer.allocate(view.size(name));
        view.read(name, buf);
        buf.flip();
        return StandardCharsets.UTF_8.decode(buf).toString();
      } catch (FileSystemException e) {
        String r = e.getReason();
        boolean vanished = r != null && (r.contains("No data available") || r.contains("Numerical result"));
        if (!vanished) {
          throw e;
        }
        if (r.contains("No data available") || attempt >= 3) {
          return null; // removed meanwhile; ERANGE (value grew between size and read) is retried
        }
      }
    }
  }

  private static boolean unsupported(FileSystemException e) {
    String r = e.getReason();
    return r != null && (r.contains("not supported") || r.contains("Operation not supported"));
  }
}

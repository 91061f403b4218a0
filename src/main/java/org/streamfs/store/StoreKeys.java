package org.streamfs.store;

import java.nio.charset.StandardCharsets;

/**
 * Validation of store keys, shared by every adapter so that no key can escape a store's root: relative,
 * {@code /}-separated, no empty, {@code .} or {@code ..} segment, no NUL or other control character, at most
 * 255 bytes per segment and {@link #MAX_KEY_BYTES} in all (UTF-8) unless the store allows longer keys
 * ({@link StoreLimits#maxKeyBytes}). Names starting with {@code .streamfs} at the top are reserved for the
 * stores' own bookkeeping.
 */
public final class StoreKeys {
  public static final int MAX_KEY_BYTES = 1024;
  public static final int MAX_SEGMENT_BYTES = 255;
  public static final String RESERVED_PREFIX = ".streamfs";

  private StoreKeys() {}

  /** Returns the key if acceptable (a trailing {@code /} marks a directory), else INVALID_KEY naming why. */
  public static String validate(String key) throws StoreException {
    return validate(key, MAX_KEY_BYTES);
  }

  /** {@link #validate} for a store whose keys may be up to {@code maxBytes} long. */
  public static String validate(String key, int maxBytes) throws StoreException {
    String why = problem(key, maxBytes);
    if (why != null) {
      throw new StoreException(StoreException.Kind.INVALID_KEY, printable(key), "invalid key: " + why);
    }
    return key;
  }

  /** Like {@link #validate} for a listing prefix: the empty prefix is allowed. */
  public static String validatePrefix(String prefix) throws StoreException {
    return validatePrefix(prefix, MAX_KEY_BYTES);
  }

  /** {@link #validatePrefix} for a store whose keys may be up to {@code maxBytes} long. */
  public static String validatePrefix(String prefix, int maxBytes) throws StoreException {
    if (prefix.isEmpty()) {
      return prefix;
    }
    return validate(prefix, maxBytes);
  }

  /** Why the key is unacceptable, or null. */
  public static String problem(String key) {
    return problem(key, MAX_KEY_BYTES);
  }

  /** Why the key is unacceptable for a store whose keys may be up to {@code maxBytes} long, or null. */
  public static String problem(String key, int maxBytes) {
    if (key == null || key.isEmpty()) {
      return "empty";
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      return "longer than " + maxBytes + " bytes";
    }
    if (key.startsWith("/")) {
      return "absolute path (starts with /)";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == 0) {
        return "contains NUL";
      }
      if (c < 0x20 || c == 0x7f) {
        return "contains control character 0x" + Integer.toHexString(c);
      }
      if (c == '\\') {
        return "contains a backslash";
      }
    }
    String body = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    if (body.isEmpty()) {
      return "empty";
    }
    for (String seg : body.split("/", -1)) {
      if (seg.isEmpty()) {
        return "empty path segment (//)";
      }
      if (seg.equals(".") || seg.equals("..")) {
        return "'" + seg + "' segment would escape the store";
      }
      if (seg.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        return "segment longer than " + MAX_SEGMENT_BYTES + " bytes";
      }
    }
    if (body.equals(RESERVED_PREFIX) || body.startsWith(RESERVED_PREFIX + "/")
        || body.startsWith(RESERVED_PREFIX + "-")) {
      return "'" + RESERVED_PREFIX + "' is reserved for the store's own bookkeeping";
    }
    return null;
  }

  private static String printable(String key) {
    if (key == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder();
    for (char c : key.toCharArray()) {
      sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
      if (sb.length() > 200) {
        sb.append("...");
        break;
      }
    }
    return sb.toString();
  }
}

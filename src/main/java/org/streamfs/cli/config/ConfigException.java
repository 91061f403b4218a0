package org.streamfs.cli.config;

/**
 * A mount configuration that cannot be used, with where it came from: {@code /etc/streamfs/docs.conf:7: key
 * 'chunk-size': '10Q' is not a size ...}. The origin is a file and line, or the command-line flag that set the
 * value. The message never contains the contents of a key file.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String origin;
  private final String key;
  private final String reason;

  public ConfigException(String origin, String key, String reason) {
    super(origin + ": " + (key == null ? "" : "key '" + key + "': ") + reason);
    this.origin = origin;
    this.key = key;
    this.reason = reason;
  }

  /** Where the bad value was found, e.g. {@code /etc/streamfs/docs.conf:7} or {@code --parallel}. */
  public String origin() {
    return origin;
  }

  /** The key at fault, or null when the line could not be read as {@code key = value} at all. */
  public String key() {
    return key;
  }

  public String reason() {
    return reason;
  }
}

package org.streamfs.transfer.embeddings;

import java.util.Map;

/**
 * Options of an embeddings upload: whether NaN/Inf values are accepted ({@code allowNonFinite}, refused by
 * default), whether rows are appended to an existing collection ({@code append}; its dimension must match)
 * or replace it, the store key prefix under which collections live ({@code keyPrefix}, default
 * {@code embeddings/}, so collection {@code docs} is the object {@code embeddings/docs.npy}), and extra
 * object metadata.
 */
public record EmbeddingOptions(boolean allowNonFinite, boolean append, String keyPrefix,
    Map<String, String> metadata) {
  public static final String DEFAULT_PREFIX = "embeddings/";
  public static final EmbeddingOptions DEFAULTS = new EmbeddingOptions(false, false, DEFAULT_PREFIX, Map.of());

  public EmbeddingOptions {
    keyPrefix = keyPrefix == null ? DEFAULT_PREFIX : keyPrefix;
    if (!keyPrefix.isEmpty() && !keyPrefix.endsWith("/")) {
      throw new IllegalArgumentException("key prefix must be empty or end with /, got '" + keyPrefix + "'");
    }
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  public EmbeddingOptions withAllowNonFinite(boolean v) {
    return new EmbeddingOptions(v, append, keyPrefix, metadata);
  }

  public EmbeddingOptions withAppend(boolean v) {
    return new EmbeddingOptions(allowNonFinite, v, keyPrefix, metadata);
  }

  public EmbeddingOptions withKeyPrefix(String v) {
    return new EmbeddingOptions(allowNonFinite, append, v, metadata);
  }
}

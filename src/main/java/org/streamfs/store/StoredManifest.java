package org.streamfs.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.streamfs.model.Sha256;

/**
 * The manifest of one object version as a store keeps it next to the object ({@link
 * ObjectStore#writeManifest}): the key and the exact version it vouches for, size, chunk size, per-chunk
 * SHA-256 (hex) and the whole file's SHA-256 (hex, null if unknown). It vouches for nothing but that
 * version: a reader uses it only while {@link #vouchesFor} the object it reads, so a manifest left behind
 * by a replaced or foreign version can never make new bytes look corrupt or wrong bytes look right.
 *
 * <p>Serialised as a small JSON document ({@code format} 1) in the sidecar of the local and S3 stores.
 */
public record StoredManifest(String key, String version, long size, long chunkSize, List<String> chunkSha256,
    String sha256) {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final int FORMAT = 1;

  public StoredManifest {
    chunkSha256 = List.copyOf(chunkSha256);
  }

  /**
   * Whether this manifest describes exactly {@code o}: same key, same version, same size, and one checksum
   * per chunk of that size.
   */
  public boolean vouchesFor(ObjectInfo o) {
    return o != null && key.equals(o.key()) && version.equals(o.version()) && size == o.size()
        && consistent();
  }

  /** One checksum per chunk of the recorded size and chunk size (never more, never fewer). */
  public boolean consistent() {
    if (size < 0 || chunkSize <= 0) {
      return false;
    }
    long chunks = (size + chunkSize - 1) / chunkSize;
    return chunks == chunkSha256.size() || (size == 0 && chunkSha256.size() == 1);
  }

  /** The sidecar name of {@code key}: hex SHA-256 of its UTF-8 bytes (fixed length, whatever the key). */
  public static String sidecarId(String key) {
    return Sha256.hex(Sha256.digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** Whether {@code id} has the shape of a {@link #sidecarId} (64 lower-case hex digits). */
  public static boolean isSidecarId(String id) {
    return id != null && id.length() == 64 && id.chars().allMatch(c -> (c >= '0' && c <= '9')
        || (c >= 'a' && c <= 'f'));
  }

  public byte[] toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("format", FORMAT);
    n.put("key", key);
    n.put("version", version);
    n.put("size", size);
    n.put("chunkSize", chunkSize);
    ArrayNode a = n.putArray("chunkSha256");
    chunkSha256.forEach(a::add);
    if (sha256 != null) {
      n.put("sha256", sha256);
    }
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the manifest of " + key, e);
    }
  }

  /** Parses a sidecar; null when it is not a manifest of this format (damaged, foreign, newer format). */
  public static StoredManifest parse(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || !n.isObject() || n.path("format").asInt(0) != FORMAT || !n.path("key").isTextual()
          || !n.path("version").isTextual() || !n.path("chunkSha256").isArray()) {
        return null;
      }
      List<String> shas = new ArrayList<>();
      for (JsonNode c : n.get("chunkSha256")) {
        String s = c.asText();
        if (!isSidecarId(s)) { // a SHA-256 in hex has the same shape
          return null;
        }
        shas.add(s);
      }
      return new StoredManifest(n.get("key").asText(), n.get("version").asText(), n.path("size").asLong(-1),
          n.path("chunkSize").asLong(0), shas, n.hasNonNull("sha256") ? n.get("sha256").asText() : null);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}

package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.streamfs.store.ObjectInfo;

/**
 * The manifest of one file (or directory marker) as it lives in the {@code streamfs} field of its CouchDB
 * document: type, size, chunk size, the chunk attachments in order (name, size, SHA-256), the whole-file
 * SHA-256, modification time, user metadata and the upload that wrote it. Parsing a document that is not
 * ours gives null; the byte offsets of the chunks follow from their sizes, so chunks may differ in size.
 */
record FileDoc(String id, String rev, String type, long size, long chunkSize, List<Chunk> chunks,
    String sha256, Instant modified, Map<String, String> metadata, String upload) {

  static final String FIELD = "streamfs";
  static final int FORMAT = 1;
  static final String FILE = "file";
  static final String DIR = "dir";

  /** One chunk attachment: its name in {@code _attachments}, its size and SHA-256 (hex, null if unknown). */
  record Chunk(String name, long size, String sha256) {}

  FileDoc {
    chunks = List.copyOf(chunks);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  /** The manifest of a document we wrote, or null for any other document (or a deleted one). */
  static FileDoc parse(JsonNode doc) {
    if (doc == null || !doc.isObject() || doc.path("_deleted").asBoolean(false)) {
      return null;
    }
    JsonNode m = doc.get(FIELD);
    if (m == null || !m.isObject() || m.path("format").asInt(0) != FORMAT) {
      return null;
    }
    List<Chunk> chunks = new ArrayList<>();
    for (JsonNode c : m.path("chunks")) {
      chunks.add(new Chunk(c.path("name").asText(), c.path("size").asLong(),
          c.hasNonNull("sha256") ? c.get("sha256").asText() : null));
    }
    Instant modified = Instant.EPOCH;
    try {
      if (m.hasNonNull("modified")) {
        modified = Instant.parse(m.get("modified").asText());
      }
    } catch (DateTimeParseException e) {
      modified = Instant.EPOCH;
    }
    return new FileDoc(doc.path("_id").asText(), doc.path("_rev").asText(null),
        m.path("type").asText(FILE), m.path("size").asLong(), m.path("chunkSize").asLong(), chunks,
        m.hasNonNull("sha256") ? m.get("sha256").asText() : null, modified, strings(m.get("metadata")),
        m.hasNonNull("upload") ? m.get("upload").asText() : null);
  }

  static Map<String, String> strings(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node != null && node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        out.put(e.getKey(), e.getValue().asText());
      }
    }
    return out;
  }

  boolean isDirectory() {
    return DIR.equals(type);
  }

  /** The {@code streamfs} field of the document body. */
  ObjectNode toJson() {
    ObjectNode m = CouchDbHttp.object();
    m.put("format", FORMAT);
    m.put("type", type);
    m.put("size", size);
    m.put("chunkSize", chunkSize);
    ArrayNode arr = m.putArray("chunks");
    for (Chunk c : chunks) {
      ObjectNode cn = arr.addObject();
      cn.put("name", c.name());
      cn.put("size", c.size());
      if (c.sha256() == null) {
        cn.putNull("sha256");
      } else {
        cn.put("sha256", c.sha256());
      }
    }
    if (sha256 == null) {
      m.putNull("sha256");
    } else {
      m.put("sha256", sha256);
    }
    m.put("modified", modified.toString());
    m.set("metadata", CouchDbHttp.stringMap(metadata));
    if (upload != null) {
      m.put("upload", upload);
    }
    return m;
  }

  FileDoc withRev(String newRev) {
    return new FileDoc(id, newRev, type, size, chunkSize, chunks, sha256, modified, metadata, upload);
  }

  /** New user metadata (the bytes stay); an unknown whole-file SHA-256 is taken from the engine's metadata. */
  FileDoc withMetadata(Map<String, String> newMetadata, Instant when) {
    String whole = sha256 != null ? sha256 : newMetadata.get("streamfs-sha256");
    return new FileDoc(id, rev, type, size, chunkSize, chunks, whole, when, newMetadata, upload);
  }

  ObjectInfo info(String key) {
    return new ObjectInfo(key, size, rev, modified, metadata);
  }

  /** Byte offset of chunk {@code index} in the file. */
  long offsetOf(int index) {
    long off = 0;
    for (int i = 0; i < index; i++) {
      off += chunks.get(i).size();
    }
    return off;
  }
}

package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Reading documents and resolving a store key to what holds its bytes: our own file document (id = the
 * encoded key) or, failing that, an attachment of a document another client wrote (id = a leading part of
 * the key, attachment name = the rest; the longest such document id wins). Also decides, once per store,
 * how whole documents are written ({@link DocWriter.Mode}) from the server's welcome message.
 */
final class DocAccess {

  /** What a key resolves to: our file (or directory marker) document, or an attachment of a foreign one. */
  record Target(FileDoc file, Foreign foreign) {
    String rev() {
      return file != null ? file.rev() : foreign.rev();
    }

    long size() {
      return file != null ? file.size() : foreign.length();
    }

    ObjectInfo info(String key) {
      return file != null ? file.info(key) : foreign.info(key);
    }
  }

  /** Attachment {@code name} of foreign document {@code docId} at revision {@code rev}. */
  record Foreign(String docId, String rev, String name, long length, JsonNode stub) {
    ObjectInfo info(String key) {
      String type = stub.path("content_type").asText("");
      return new ObjectInfo(key, length, rev, Instant.EPOCH,
          type.isEmpty() ? Map.of() : Map.of("content-type", type));
    }
  }

  private final CouchDbHttp http;
  private final DocWriter.Mode forcedMode;
  private volatile DocWriter.Mode mode;

  DocAccess(CouchDbHttp http, DocWriter.Mode forcedMode) {
    this.http = http;
    this.forcedMode = forcedMode;
  }

  CouchDbHttp http() {
    return http;
  }

  /** The document (attachments as stubs), or null if it does not exist or was deleted. */
  JsonNode getDoc(String id, String key) throws StoreException {
    CouchDbHttp.Reply r = http.get(http.docUri(id, null, null), key);
    if (r.status() == 404) {
      return null;
    }
    if (!r.ok()) {
      throw http.failure(r, "GET document", key);
    }
    return r.body();
  }

  /**
   * Rows of {@code POST _all_docs?include_docs=true} for the given ids, in order; a missing or deleted id
   * gives a null document.
   */
  List<JsonNode> getDocs(List<String> ids, String key) throws StoreException {
    ObjectNode body = CouchDbHttp.object();
    ArrayNode keys = body.putArray("keys");
    ids.forEach(keys::add);
    CouchDbHttp.Reply r = http.postJson(http.dbUri("_all_docs", "include_docs=true"), body, key);
    if (!r.ok()) {
      throw http.failure(r, "POST _all_docs", key);
    }
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode row : r.body().path("rows")) {
      JsonNode doc = row.get("doc");
      out.add(doc == null || doc.isNull() || row.has("error") ? null : doc);
    }
    return out;
  }

  /** What holds the bytes of {@code key}, or null. */
  Target resolve(String key) throws StoreException {
    JsonNode doc = getDoc(DocIds.encode(key), key);
    FileDoc file = FileDoc.parse(doc);
    if (file != null) {
      return new Target(file, null);
    }
    List<String[]> splits = DocIds.foreignSplits(key);
    if (splits.isEmpty()) {
      return null;
    }
    List<String> ids = new ArrayList<>();
    splits.forEach(s -> ids.add(s[0]));
    List<JsonNode> docs = getDocs(ids, key);
    for (int i = 0; i < splits.size(); i++) {
      JsonNode d = docs.get(i);
      if (d == null || FileDoc.parse(d) != null || DocIds.isInternal(splits.get(i)[0])) {
        continue;
      }
      JsonNode stub = d.path("_attachments").get(splits.get(i)[1]);
      if (stub != null && stub.isObject()) {
        return new Target(null, new Foreign(splits.get(i)[0], d.path("_rev").asText(), splits.get(i)[1],
            stub.path("length").asLong(), stub));
      }
    }
    return null;
  }

  /**
   * The revision a write to {@code key} must replace: null if no document has its id, the revision if it
   * is ours; a document another client wrote is never overwritten (ACCESS_DENIED).
   */
  String ownRevForWrite(String key) throws StoreException {
    JsonNode doc = getDoc(DocIds.encode(key), key);
    if (doc == null) {
      return null;
    }
    if (FileDoc.parse(doc) == null) {
      throw foreignRefused(key, DocIds.encode(key));
    }
    return doc.path("_rev").asText();
  }

  static StoreException foreignRefused(String key, String docId) {
    return new StoreException(Kind.ACCESS_DENIED, key, "document '" + docId + "' was written by another"
        + " CouchDB client (streamfs shows its attachments as files in folder '" + DocIds.decode(docId)
        + "/'); streamfs does not modify or replace it");
  }

  /** How whole documents are written on this server: digest stubs on pouchdb-server, COPY elsewhere. */
  DocWriter.Mode mode() throws StoreException {
    if (forcedMode != null) {
      return forcedMode;
    }
    DocWriter.Mode m = mode;
    if (m == null) {
      CouchDbHttp.Reply r = http.get(http.serverUri(), null);
      if (!r.ok()) {
        throw http.failure(r, "GET /", null);
      }
      m = r.body() != null && r.body().has("express-pouchdb") ? DocWriter.Mode.STUBS : DocWriter.Mode.COPY;
      mode = m;
    }
    return m;
  }
}

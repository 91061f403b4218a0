package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreKeys;

/**
 * Listing by {@code _all_docs} ranges over the id encoding of {@link DocIds} (CouchDB sorts {@code _all_docs}
 * by raw bytes, pouchdb-server by code point: the same for our purpose). It scans from the encoded prefix,
 * one page of documents at a time, and stops at the first id outside the prefix; with a delimiter it rolls
 * ids up into common prefixes and jumps over each rolled-up subtree instead of reading it. Documents other
 * clients wrote contribute one entry per attachment ({@code docid/attachment}); those whose id is a leading
 * part of the prefix are fetched by id, since the range scan starts after them. Where one of our documents
 * and a foreign attachment give the same key, ours wins. Keys that are not valid store keys are skipped.
 */
final class CouchDbLister {
  private static final Logger LOG = LoggerFactory.getLogger(CouchDbLister.class);
  private static final int PAGE = 100;

  private final DocAccess docs;
  private final CouchDbHttp http;

  CouchDbLister(DocAccess docs) {
    this.docs = docs;
    this.http = docs.http();
  }

  Listing list(String prefix, String delimiter) throws StoreException {
    StoreKeys.validatePrefix(prefix);
    Result res = new Result(prefix, delimiter);
    List<String> enclosing = new ArrayList<>();
    for (int i = 1; i < prefix.length(); i++) {
      if (prefix.charAt(i) == '/') {
        enclosing.add(DocIds.encode(prefix.substring(0, i)));
      }
    }
    if (!enclosing.isEmpty()) {
      for (JsonNode d : docs.getDocs(enclosing, prefix)) {
        if (d != null && FileDoc.parse(d) == null && !DocIds.isInternal(d.path("_id").asText())) {
          res.foreign(d);
        }
      }
    }
    String startId = DocIds.encode(prefix);
    String from = prefix.isEmpty() ? "" : startId;
    boolean skipFirst = false;
    while (true) {
      String q = CouchDbHttp.jsonParam("startkey", from) + "&include_docs=true&limit=" + PAGE
          + (skipFirst ? "&skip=1" : "");
      CouchDbHttp.Reply r = http.get(http.dbUri("_all_docs", q), prefix);
      if (!r.ok()) {
        throw http.failure(r, "list", prefix);
      }
      int n = 0;
      String jump = null;
      for (JsonNode row : r.body().path("rows")) {
        n++;
        String id = row.path("id").asText();
        if (!id.startsWith(startId)) {
          return res.listing();
        }
        from = id;
        skipFirst = true;
        JsonNode doc = row.get("doc");
        if (DocIds.isInternal(id) || doc == null || doc.isNull()) {
          continue;
        }
        FileDoc f = FileDoc.parse(doc);
        if (f != null) {
          res.ours(DocIds.decode(id), f);
        } else {
          res.foreign(doc);
        }
        String key = DocIds.decode(id);
        if (delimiter != null && key.startsWith(prefix)) {
          int j = key.indexOf(delimiter, prefix.length());
          if (j >= 0) {
            // Everything below key[0..j] rolls up into one common prefix: continue after it.
            jump = DocIds.encode(key.substring(0, j) + (char) (delimiter.charAt(0) + 1));
            break;
          }
        }
      }
      if (jump != null) {
        from = jump;
        skipFirst = false;
        continue;
      }
      if (n < PAGE) {
        return res.listing();
      }
    }
  }

  /** Collects entries, rolling them up under the delimiter. */
  private static final class Result {
    private final String prefix;
    private final String delimiter;
    private final Map<String, ObjectInfo> ours = new TreeMap<>();
    private final Map<String, ObjectInfo> foreign = new TreeMap<>();
    private final TreeSet<String> prefixes = new TreeSet<>();

    Result(String prefix, String delimiter) {
      this.prefix = prefix;
      this.delimiter = delimiter;
    }

    void ours(String key, FileDoc f) {
      add(key, f.info(key), ours);
    }

    void foreign(JsonNode doc) {
      String id = doc.path("_id").asText();
      String rev = doc.path("_rev").asText();
      for (Map.Entry<String, JsonNode> e : doc.path("_attachments").properties()) {
        String key = DocIds.decode(id) + "/" + e.getKey();
        DocAccess.Foreign f = new DocAccess.Foreign(id, rev, e.getKey(), e.getValue().path("length")
            .asLong(), e.getValue());
        add(key, f.info(key), foreign);
      }
    }

    private void add(String key, ObjectInfo info, Map<String, ObjectInfo> into) {
      if (!key.startsWith(prefix) || (key.equals(prefix) && key.endsWith("/"))) {
        return;
      }
      String why = StoreKeys.problem(key);
      if (why != null) {
        LOG.debug("listing skips document key '{}': {}", key, why);
        return;
      }
      if (delimiter != null) {
        int j = key.indexOf(delimiter, prefix.length());
        if (j >= 0) {
          prefixes.add(key.substring(0, j + delimiter.length()));
          return;
        }
      }
      into.put(key, info);
    }

    Listing listing() {
      Map<String, ObjectInfo> all = new TreeMap<>(foreign);
      all.putAll(ours);
      for (String p : prefixes) {
        all.remove(p);
      }
      return new Listing(new ArrayList<>(all.values()), new ArrayList<>(prefixes));
    }
  }
}

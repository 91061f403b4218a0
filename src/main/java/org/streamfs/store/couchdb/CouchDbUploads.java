package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.Sha256;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * Multipart uploads on top of CouchDB revisions. Each upload is a staging document
 * {@code .streamfs-upload:<id>} holding the key, metadata, start time, the revision of the file document
 * when the upload began, and one attachment per part ({@code p00001}, ...) with the part's SHA-256 recorded
 * in the same update. Completion writes the file document in one update over that remembered revision
 * ({@link DocWriter}: digest stubs, server-side COPY or a streamed multipart PUT), so a writer that got in
 * between is reported (CONFLICT), never overwritten, and a reader sees the previous version
 * whole until then; the staging document is deleted afterwards. Part updates of one upload are serialised in this process (one lock per upload); a 409 caused
 * by another process re-reads the revision and retries, which is safe because each part has its own
 * attachment name.
 */
final class CouchDbUploads {
  static final String FIELD = "streamfs-upload";
  private static final Logger LOG = LoggerFactory.getLogger(CouchDbUploads.class);
  private static final int ATTEMPTS = 8;
  private static final int PAGE = 200;
  /** Stands in the JSON for the base64 data of the new part until the request is assembled. */
  private static final String PLACEHOLDER = "streamfs-part-data-" + UUID.randomUUID();

  private final DocAccess docs;
  private final CouchDbHttp http;
  private final DocWriter writer;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  CouchDbUploads(DocAccess docs, DocWriter writer) {
    this.docs = docs;
    this.http = docs.http();
    this.writer = writer;
  }

  String begin(String key, Map<String, String> metadata) throws StoreException {
    String baseRev = docs.ownRevForWrite(key);
    String uploadId = UUID.randomUUID().toString().replace("-", "");
    ObjectNode body = CouchDbHttp.object();
    ObjectNode h = body.putObject(FIELD);
    h.put("format", FileDoc.FORMAT);
    h.put("key", key);
    h.set("metadata", CouchDbHttp.stringMap(metadata));
    h.put("initiated", Instant.now().toString());
    if (baseRev == null) {
      h.putNull("baseRev");
    } else {
      h.put("baseRev", baseRev);
    }
    h.putObject("parts");
    CouchDbHttp.Reply r = http.putJson(http.docUri(DocIds.uploadDocId(uploadId), null, null), body, key);
    if (!r.ok()) {
      throw http.failure(r, "create upload staging document", key);
    }
    return uploadId;
  }

  PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    if (partNumber < 1 || partNumber > CouchDbStore.MAX_PARTS) {
      throw new StoreException(Kind.PERMANENT, key, "part number " + partNumber + " is outside 1.."
          + CouchDbStore.MAX_PARTS);
    }
    if (data.remaining() > CouchDbStore.MAX_PART_SIZE) {
      throw new StoreException(Kind.PERMANENT, key, "part " + partNumber + " has " + data.remaining()
          + " bytes, more than the CouchDB store's maximum of " + CouchDbStore.MAX_PART_SIZE);
    }
    byte[] actual = Sha256.digest(data);
    if (sha256 != null && !Arrays.equals(actual, sha256)) {
      throw new StoreException(Kind.CHECKSUM, key, "part " + partNumber + " hashes to " + Sha256.hex(actual)
          + ", not the " + Sha256.hex(sha256) + " sent with it");
    }
    String hex = Sha256.hex(actual);
    String name = DocIds.partName(partNumber);
    synchronized (locks.computeIfAbsent(uploadId, k -> new Object())) {
      for (int attempt = 1; ; attempt++) {
        ObjectNode doc = staging(key, uploadId);
        ObjectNode parts = header(doc).withObjectProperty("parts");
        ObjectNode p = parts.putObject(Integer.toString(partNumber));
        p.put("sha256", hex);
        p.put("size", (long) data.remaining());
        ObjectNode atts = doc.withObjectProperty("_attachments");
        ObjectNode a = atts.putObject(name);
        a.put("content_type", "application/octet-stream");
        a.put("data", PLACEHOLDER);
        byte[] json = CouchDbHttp.toBytes(doc);
        int at = indexOf(json, PLACEHOLDER.getBytes(StandardCharsets.US_ASCII));
        // The base64 text is streamed into the request, never held whole (see Base64Stream).
        byte[] head = Arrays.copyOfRange(json, 0, at);
        byte[] tail = Arrays.copyOfRange(json, at + PLACEHOLDER.length(), json.length);
        long length = head.length + Base64Stream.encodedLength(data.remaining()) + tail.length;
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
                java.util.Collections.enumeration(List.of(new java.io.ByteArrayInputStream(head),
                    new Base64Stream(data), new java.io.ByteArrayInputStream(tail))))), length);
        CouchDbHttp.Reply r = http.send(http.request(http.docUri(doc.path("_id").asText(), null, null), true)
            .header("Content-Type", "application/json").PUT(body).build(), key);
        if (r.ok()) {
          return new PartReceipt(partNumber, data.remaining(), md5Digest(data), hex);
        }
        if (r.status() != 409 || attempt >= ATTEMPTS) {
          throw http.failure(r, "upload part " + partNumber, key);
        }
        LOG.debug("upload {} part {}: staging document changed meanwhile, retrying", uploadId, partNumber);
      }
    }
  }

  List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    ObjectNode doc = staging(key, uploadId);
    JsonNode recorded = header(doc).path("parts");
    List<PartReceipt> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : doc.path("_attachments").properties()) {
      int n = partNumber(e.getKey());
      if (n < 1) {
        continue;
      }
      long length = e.getValue().path("length").asLong();
      JsonNode rec = recorded.path(Integer.toString(n));
      String sha = rec.path("size").asLong(-1) == length ? rec.path("sha256").asText(null) : null;
      out.add(new PartReceipt(n, length, e.getValue().path("digest").asText(null), sha));
    }
    out.sort(Comparator.comparingInt(PartReceipt::partNumber));
    return out;
  }

  /**
   * Writes the file document over the revision {@code expect} names (none for ABSENT); with {@link Expect#ANY},
   * over the revision the key had when the upload began. A 409 is CONFLICT unless the document is already
   * this upload's (a retried completion whose answer was lost).
   */
  ObjectInfo complete(String key, String uploadId, List<PartReceipt> parts, Expect expect) throws StoreException {
    String id = DocIds.encode(key);
    JsonNode doc = docs.getDoc(DocIds.uploadDocId(uploadId), key);
    if (doc == null) {
      FileDoc done = FileDoc.parse(docs.getDoc(id, key));
      if (done != null && uploadId.equals(done.upload())) {
        return done.info(key);
      }
      throw new StoreException(Kind.NOT_FOUND, key, "no upload " + uploadId + " (aborted, or never begun)");
    }
    JsonNode h = checkedHeader(doc, key, uploadId);
    JsonNode atts = doc.path("_attachments");
    DocWriter.Mode mode = docs.mode();
    if (mode == DocWriter.Mode.COPY && !DocWriter.headerSafe(id)) {
      mode = DocWriter.Mode.STREAM;
    }
    // COPY keeps the attachments' names, so the chunks are the parts under their own names.
    boolean copy = mode == DocWriter.Mode.COPY;
    List<DocWriter.Source> sources = new ArrayList<>();
    long size = 0;
    long chunkSize = 0;
    for (PartReceipt want : parts) {
      String name = DocIds.partName(want.partNumber());
      JsonNode stub = atts.get(name);
      if (stub == null) {
        throw new StoreException(Kind.PERMANENT, key, "upload " + uploadId + " has no part "
            + want.partNumber());
      }
      long length = stub.path("length").asLong();
      JsonNode rec = h.path("parts").path(Integer.toString(want.partNumber()));
      String sha = rec.path("size").asLong(-1) == length ? rec.path("sha256").asText(null) : null;
      if (want.size() != length || (want.sha256Hex() != null && sha != null
          && !want.sha256Hex().equalsIgnoreCase(sha))) {
        throw new StoreException(Kind.PERMANENT, key, "part " + want.partNumber() + " of upload " + uploadId
            + " on the server (" + length + " bytes, sha256 " + sha + ") is not the one named ("
            + want.size() + " bytes, sha256 " + want.sha256Hex() + ")");
      }
      if (length == 0) {
        continue;
      }
      FileDoc.Chunk chunk = new FileDoc.Chunk(copy ? name : DocIds.chunkName(sources.size()), length, sha);
      sources.add(new DocWriter.Source(chunk, doc.path("_id").asText(), name, doc.path("_rev").asText(),
          stub));
      size += length;
      chunkSize = Math.max(chunkSize, length);
    }
    Map<String, String> meta = FileDoc.strings(h.get("metadata"));
    List<FileDoc.Chunk> chunks = sources.stream().map(DocWriter.Source::chunk).toList();
    String whole = chunks.size() == 1 ? chunks.get(0).sha256() : meta.get("streamfs-sha256");
    String baseRev = !expect.isAny() ? expect.version()
        : h.path("baseRev").isNull() ? null : h.path("baseRev").asText();
    FileDoc manifest = new FileDoc(id, null, FileDoc.FILE, size, chunkSize, chunks, whole, Instant.now(),
        meta, uploadId);
    CouchDbHttp.Reply r = copy ? completeByCopy((ObjectNode) doc, manifest, baseRev, sources, key)
        : writer.write(mode, manifest, baseRev, sources, key);
    if (r.status() == 409) {
      FileDoc now = FileDoc.parse(docs.getDoc(id, key));
      if (now == null || !uploadId.equals(now.upload())) {
        throw new StoreException(Kind.CONFLICT, key, "the object was changed by another writer"
            + (expect.isAny() ? " since upload " + uploadId + " began" : "") + " (revision expected: "
            + baseRev + ", now: "
            + (now == null ? "not a streamfs file" : now.rev()) + "); it was NOT overwritten, the upload is"
            + " kept until aborted");
      }
      manifest = now;
    } else if (!r.ok()) {
      throw http.failure(r, "complete upload " + uploadId, key);
    } else {
      String rev = r.body() == null ? "" : r.body().path("rev").asText("");
      FileDoc written = rev.isEmpty() ? FileDoc.parse(docs.getDoc(id, key)) : null;
      manifest = written != null ? written : manifest.withRev(rev);
    }
    try {
      deleteStaging(key, uploadId);
    } catch (StoreException e) {
      // The object is complete and visible; the leftover staging document is listed by listUploads and
      // goes away with an abort, which does not touch the completed object.
      LOG.warn("upload {} of {} completed, but its staging document could not be deleted: {}", uploadId, key,
          e.getMessage());
    }
    return manifest.info(key);
  }

  /**
   * Turns the staging document into the final one (manifest in the body, only the named parts kept) and has
   * the server COPY it to the file's id over {@code baseRev}; the staging document keeps its header, so until
   * it is deleted it is still listed as an upload.
   */
  private CouchDbHttp.Reply completeByCopy(ObjectNode staging, FileDoc manifest, String baseRev,
      List<DocWriter.Source> sources, String key) throws StoreException {
    ObjectNode body = staging.deepCopy();
    body.set(FileDoc.FIELD, manifest.toJson());
    ObjectNode atts = body.putObject("_attachments");
    for (DocWriter.Source s : sources) {
      atts.set(s.attachment(), s.stub());
    }
    String sid = staging.path("_id").asText();
    CouchDbHttp.Reply r = http.putJson(http.docUri(sid, null, null), body, key);
    if (!r.ok()) {
      throw r.status() == 409
          ? new StoreException(Kind.TRANSIENT, key, "staging document " + sid + " changed while completing")
          : http.failure(r, "prepare staging document " + sid + " for completion", key);
    }
    return writer.copyDocument(sid, r.body().path("rev").asText(), manifest.id(), baseRev, key);
  }

  void abort(String key, String uploadId) throws StoreException {
    deleteStaging(key, uploadId);
  }

  List<PendingUpload> list(String prefix) throws StoreException {
    List<PendingUpload> out = new ArrayList<>();
    String start = DocIds.UPLOAD_PREFIX;
    boolean skipFirst = false;
    while (true) {
      String q = CouchDbHttp.jsonParam("startkey", start) + "&include_docs=true&limit=" + PAGE
          + (skipFirst ? "&skip=1" : "");
      CouchDbHttp.Reply r = http.get(http.dbUri("_all_docs", q), prefix);
      if (!r.ok()) {
        throw http.failure(r, "list uploads", prefix);
      }
      int n = 0;
      for (JsonNode row : r.body().path("rows")) {
        n++;
        String id = row.path("id").asText();
        if (!id.startsWith(DocIds.UPLOAD_PREFIX)) {
          return out;
        }
        start = id;
        JsonNode h = row.path("doc").path(FIELD);
        String key = h.path("key").asText("");
        if (!key.isEmpty() && key.startsWith(prefix)) {
          out.add(new PendingUpload(key, id.substring(DocIds.UPLOAD_PREFIX.length()), instant(h)));
        }
      }
      if (n < PAGE) {
        return out;
      }
      skipFirst = true;
    }
  }

  private void deleteStaging(String key, String uploadId) throws StoreException {
    String sid = DocIds.uploadDocId(uploadId);
    for (int attempt = 1; ; attempt++) {
      JsonNode doc = docs.getDoc(sid, key);
      if (doc == null) {
        locks.remove(uploadId);
        return;
      }
      CouchDbHttp.Reply r = http.send(http.request(http.docUri(sid, null,
          CouchDbHttp.param("rev", doc.path("_rev").asText())), false).DELETE().build(), key);
      if (r.ok() || r.status() == 404) {
        locks.remove(uploadId);
        return;
      }
      if (r.status() != 409 || attempt >= ATTEMPTS) {
        throw http.failure(r, "delete upload staging document " + sid, key);
      }
    }
  }

  private ObjectNode staging(String key, String uploadId) throws StoreException {
    JsonNode doc = docs.getDoc(DocIds.uploadDocId(uploadId), key);
    if (doc == null) {
      throw new StoreException(Kind.NOT_FOUND, key, "no upload " + uploadId + " (completed, aborted or"
          + " never begun)");
    }
    checkedHeader(doc, key, uploadId);
    return (ObjectNode) doc;
  }

  private static JsonNode checkedHeader(JsonNode doc, String key, String uploadId) throws StoreException {
    JsonNode h = doc.path(FIELD);
    if (!key.equals(h.path("key").asText(null))) {
      throw new StoreException(Kind.NOT_FOUND, key, "upload " + uploadId + " belongs to another key");
    }
    return h;
  }

  private static ObjectNode header(ObjectNode doc) {
    return (ObjectNode) doc.get(FIELD);
  }

  private static int partNumber(String name) {
    if (name.length() != 6 || name.charAt(0) != 'p') {
      return -1;
    }
    try {
      return Integer.parseInt(name.substring(1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Instant instant(JsonNode h) {
    try {
      return Instant.parse(h.path("initiated").asText());
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("placeholder not found in staging document JSON");
  }

  /** CouchDB's attachment digest of these bytes: {@code md5-} and the base64 MD5. */
  static String md5Digest(ByteBuffer data) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(data.duplicate());
      return "md5-" + Base64.getEncoder().encodeToString(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK without MD5", e);
    }
  }
}

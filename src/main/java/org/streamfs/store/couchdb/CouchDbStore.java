package org.streamfs.store.couchdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.streamfs.model.Sha256;
import org.streamfs.store.Expect;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;
import org.streamfs.store.StoredManifest;
import org.streamfs.store.StoreLimits;

/**
 * The CouchDB adapter of the store SPI, over CouchDB's HTTP API (Apache CouchDB 2/3, pouchdb-server). It
 * owns the mapping of objects to documents described in the package documentation: one document per file,
 * chunks as attachments, the manifest in the body, uploads staged in a separate document and made visible
 * in one update. It composes {@link DocAccess} (reading and resolving), {@link CouchDbLister},
 * {@link CouchDbUploads} and {@link DocWriter}; it never retries transient failures (RetryingStore does),
 * only re-reads a revision after a 409 where writing again is safe. Build it with {@link CouchDbStores}.
 */
public final class CouchDbStore implements ObjectStore {
  /** Largest part (and chunk attachment): CouchDB handles bigger, but memory per request grows with it. */
  public static final long MAX_PART_SIZE = 64L * 1024 * 1024;
  /** Part attachments are named p00001..p99999. */
  public static final int MAX_PARTS = 99_999;
  /** Attachment size used by {@link #put} for the (small) objects it stores whole. */
  static final int PUT_CHUNK = 4 * 1024 * 1024;
  private static final int ATTEMPTS = 8;

  private final CouchDbHttp http;
  private final DocAccess docs;
  private final DocWriter writer;
  private final CouchDbUploads uploads;
  private final CouchDbLister lister;

  CouchDbStore(CouchDbHttp http, DocWriter.Mode forcedMode) {
    this.http = http;
    this.docs = new DocAccess(http, forcedMode);
    this.writer = new DocWriter(http);
    this.uploads = new CouchDbUploads(docs, writer);
    this.lister = new CouchDbLister(docs);
  }

  /** The HTTP side (tests use it to look at raw documents). */
  CouchDbHttp http() {
    return http;
  }

  @Override
  public String describe() {
    return http.describe();
  }

  @Override
  public StoreLimits limits() {
    return new StoreLimits(1, MAX_PART_SIZE, MAX_PARTS);
  }

  @Override
  public void checkAccess() throws StoreException {
    CouchDbHttp.Reply r = http.get(http.dbUri("", null), null);
    if (r.status() == 404) {
      throw missingDatabase();
    }
    if (!r.ok()) {
      throw http.failure(r, "GET database " + http.db(), null);
    }
  }

  StoreException missingDatabase() {
    return new StoreException(Kind.NOT_FOUND, null, "database " + http.db() + " does not exist on "
        + describe() + "; pass --create to create it");
  }

  @Override
  public ObjectInfo stat(String key) throws StoreException {
    StoreKeys.validate(key);
    DocAccess.Target t = docs.resolve(key);
    if (t != null) {
      return t.info(key);
    }
    if (key.endsWith("/")) {
      // A foreign document is a folder of its attachments: report it as a directory.
      JsonNode d = docs.getDoc(DocIds.encode(key.substring(0, key.length() - 1)), key);
      if (d != null && FileDoc.parse(d) == null && d.path("_attachments").size() > 0) {
        return new ObjectInfo(key, 0, d.path("_rev").asText(), Instant.EPOCH, Map.of());
      }
    }
    throw StoreException.notFound(key);
  }

  /** The manifest lives in each file's document: written with it, replaced, moved and deleted with it. */
  @Override
  public boolean keepsManifests() {
    return true;
  }

  /**
   * The document's manifest, naming the revision it is part of: only for our documents whose chunks all
   * carry their SHA-256 and have the document's chunk size (but the last). Not for a sealed object
   * (metadata {@code streamfs-format}): its attachments are frames, which it verifies itself.
   */
  @Override
  public StoredManifest readManifest(String key) throws StoreException {
    StoreKeys.validate(key);
    if (key.endsWith("/")) {
      return null;
    }
    DocAccess.Target t = docs.resolve(key);
    FileDoc f = t == null ? null : t.file();
    if (f == null || f.chunkSize() <= 0 || f.metadata().containsKey("streamfs-format")) {
      return null;
    }
    List<String> shas = new ArrayList<>();
    for (int i = 0; i < f.chunks().size(); i++) {
      FileDoc.Chunk c = f.chunks().get(i);
      boolean last = i == f.chunks().size() - 1;
      if (c.sha256() == null || (!last && c.size() != f.chunkSize())) {
        return null;
      }
      shas.add(c.sha256());
    }
    StoredManifest m = new StoredManifest(key, f.rev(), f.size(), f.chunkSize(), shas, f.sha256());
    return m.consistent() ? m : null;
  }

  @Override
  public Listing list(String prefix, String delimiter) throws StoreException {
    return lister.list(prefix, delimiter);
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    StoreKeys.validate(key);
    if (offset < 0) {
      throw new StoreException(Kind.PERMANENT, key, "negative offset " + offset);
    }
    DocAccess.Target t = docs.resolve(key);
    if (t == null) {
      throw StoreException.notFound(key);
    }
    if (ifVersion != null && !ifVersion.equals(t.rev())) {
      throw new StoreException(Kind.PRECONDITION_FAILED, key, "version " + ifVersion + " was asked for, the"
          + " object is now at " + t.rev());
    }
    long size = t.size();
    long start = Math.min(offset, size);
    long end = length < 0 ? size : Math.min(size, start + length);
    List<RangeStream.Slice> slices = new ArrayList<>();
    if (t.file() != null) {
      long chunkStart = 0;
      for (FileDoc.Chunk c : t.file().chunks()) {
        long chunkEnd = chunkStart + c.size();
        long a = Math.max(start, chunkStart);
        long b = Math.min(end, chunkEnd);
        if (a < b) {
          slices.add(new RangeStream.Slice(t.file().id(), c.name(), t.rev(), a - chunkStart, b - a));
        }
        chunkStart = chunkEnd;
      }
    } else if (start < end) {
      slices.add(new RangeStream.Slice(t.foreign().docId(), t.foreign().name(), t.rev(), start, end - start));
    }
    return new RangeStream(http, key, slices, ifVersion != null);
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    StoreKeys.validate(key);
    boolean dir = key.endsWith("/");
    if (dir && data.length > 0) {
      throw new StoreException(Kind.INVALID_KEY, key, "a directory marker (key ending in /) holds no bytes");
    }
    List<byte[]> pieces = new ArrayList<>();
    List<FileDoc.Chunk> chunks = new ArrayList<>();
    for (int off = 0; off < data.length; off += PUT_CHUNK) {
      byte[] piece = Arrays.copyOfRange(data, off, Math.min(data.length, off + PUT_CHUNK));
      chunks.add(new FileDoc.Chunk(DocIds.chunkName(pieces.size()), piece.length,
          Sha256.hex(Sha256.digest(piece))));
      pieces.add(piece);
    }
    FileDoc manifest = new FileDoc(DocIds.encode(key), null, dir ? FileDoc.DIR : FileDoc.FILE, data.length,
        Math.min(PUT_CHUNK, data.length), chunks, Sha256.hex(Sha256.digest(data)), Instant.now(), metadata,
        null);
    for (int attempt = 1; ; attempt++) {
      // a conditional put writes over the revision expected: CouchDB itself refuses (409) any other
      String baseRev = expect.isAny() ? docs.ownRevForWrite(key) : expect.version();
      CouchDbHttp.Reply r = writer.writeInline(manifest, baseRev, pieces, key);
      if (r.ok()) {
        return manifest.withRev(r.body().path("rev").asText()).info(key);
      }
      if (r.status() == 409 && !expect.isAny()) {
        throw expect.conflict(key, docs.ownRevForWrite(key));
      }
      if (r.status() != 409 || attempt >= ATTEMPTS) {
        throw http.failure(r, "put", key);
      }
    }
  }

  @Override
  public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
    StoreKeys.validate(key);
    if (key.endsWith("/")) {
      throw new StoreException(Kind.INVALID_KEY, key, "a directory marker cannot be uploaded in parts");
    }
    return uploads.begin(key, metadata);
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    return uploads.uploadPart(key, uploadId, partNumber, data, sha256);
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    if (length < 0 || length > MAX_PART_SIZE) {
      throw new StoreException(Kind.PERMANENT, key, "copyPart length " + length + " outside 0.."
          + MAX_PART_SIZE);
    }
    byte[] bytes;
    try (InputStream in = read(sourceKey, offset, length, sourceVersion)) {
      bytes = in.readAllBytes();
    } catch (StoreException e) {
      throw e;
    } catch (java.io.IOException e) {
      throw new StoreException(Kind.TRANSIENT, sourceKey, "reading the source of copyPart failed: " + e, e);
    }
    if (bytes.length != length) {
      throw new StoreException(Kind.PERMANENT, sourceKey, "copyPart range " + offset + "+" + length
          + " is past the end of the source (" + bytes.length + " bytes available)");
    }
    return uploads.uploadPart(key, uploadId, partNumber, ByteBuffer.wrap(bytes), Sha256.digest(bytes));
  }

  @Override
  public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    return uploads.listParts(key, uploadId);
  }

  @Override
  public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts, Expect expect)
      throws StoreException {
    StoreKeys.validate(key);
    return uploads.complete(key, uploadId, parts, expect);
  }

  @Override
  public void abortUpload(String key, String uploadId) throws StoreException {
    uploads.abort(key, uploadId);
  }

  @Override
  public List<PendingUpload> listUploads(String prefix) throws StoreException {
    return uploads.list(prefix);
  }

  @Override
  public void delete(String key) throws StoreException {
    StoreKeys.validate(key);
    String id = DocIds.encode(key);
    for (int attempt = 1; ; attempt++) {
      JsonNode doc = docs.getDoc(id, key);
      if (doc == null) {
        DocAccess.Target t = docs.resolve(key);
        if (t != null && t.foreign() != null) {
          throw DocAccess.foreignRefused(key, t.foreign().docId());
        }
        return;
      }
      if (FileDoc.parse(doc) == null) {
        return; // a foreign document is a folder, not the file named by this key
      }
      CouchDbHttp.Reply r = http.send(http.request(http.docUri(id, null,
          CouchDbHttp.param("rev", doc.path("_rev").asText())), false).DELETE().build(), key);
      if (r.ok() || r.status() == 404) {
        return;
      }
      if (r.status() != 409 || attempt >= ATTEMPTS) {
        throw http.failure(r, "delete", key);
      }
    }
  }

  @Override
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    StoreKeys.validate(fromKey);
    StoreKeys.validate(toKey);
    DocAccess.Target t = docs.resolve(fromKey);
    if (t == null) {
      throw StoreException.notFound(fromKey);
    }
    List<DocWriter.Source> sources = new ArrayList<>();
    FileDoc manifest;
    if (t.file() != null) {
      FileDoc f = t.file();
      JsonNode atts = docs.getDoc(f.id(), fromKey).path("_attachments");
      for (FileDoc.Chunk c : f.chunks()) {
        sources.add(new DocWriter.Source(c, f.id(), c.name(), f.rev(), atts.path(c.name())));
      }
      manifest = new FileDoc(DocIds.encode(toKey), null, f.type(), f.size(), f.chunkSize(), f.chunks(),
          f.sha256(), Instant.now(), f.metadata(), null);
    } else {
      DocAccess.Foreign fa = t.foreign();
      List<FileDoc.Chunk> chunks = new ArrayList<>();
      if (fa.length() > 0) {
        FileDoc.Chunk c = new FileDoc.Chunk(DocIds.chunkName(0), fa.length(), null);
        chunks.add(c);
        sources.add(new DocWriter.Source(c, fa.docId(), fa.name(), fa.rev(), fa.stub()));
      }
      manifest = new FileDoc(DocIds.encode(toKey), null, FileDoc.FILE, fa.length(), fa.length(), chunks, null,
          Instant.now(), fa.info(fromKey).metadata(), null);
    }
    DocWriter.Mode mode = docs.mode();
    if (mode == DocWriter.Mode.COPY && (t.file() == null || !DocWriter.headerSafe(manifest.id()))) {
      mode = DocWriter.Mode.STREAM; // a foreign document is not copied whole; odd ids cannot be destinations
    }
    for (int attempt = 1; ; attempt++) {
      String baseRev = docs.ownRevForWrite(toKey);
      CouchDbHttp.Reply r = mode == DocWriter.Mode.COPY
          ? writer.copyDocument(t.file().id(), t.file().rev(), manifest.id(), baseRev, toKey)
          : writer.write(mode, manifest, baseRev, sources, toKey);
      if (r.ok()) {
        String rev = r.body() == null ? "" : r.body().path("rev").asText("");
        if (rev.isEmpty() || mode == DocWriter.Mode.COPY) {
          FileDoc written = FileDoc.parse(docs.getDoc(manifest.id(), toKey));
          if (written != null) {
            return written.info(toKey);
          }
        }
        return manifest.withRev(rev).info(toKey);
      }
      if (r.status() != 409 || attempt >= ATTEMPTS) {
        throw http.failure(r, "copy from " + fromKey, toKey);
      }
    }
  }

  @Override
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    StoreKeys.validate(key);
    String id = DocIds.encode(key);
    for (int attempt = 1; ; attempt++) {
      JsonNode doc = docs.getDoc(id, key);
      FileDoc f = FileDoc.parse(doc);
      if (f == null) {
        DocAccess.Target t = doc == null ? docs.resolve(key) : null;
        if (t != null) {
          throw DocAccess.foreignRefused(key, t.foreign().docId());
        }
        throw StoreException.notFound(key);
      }
      FileDoc updated = f.withMetadata(metadata, Instant.now());
      ((ObjectNode) doc).set(FileDoc.FIELD, updated.toJson());
      CouchDbHttp.Reply r = http.putJson(http.docUri(id, null, null), doc, key);
      if (r.ok()) {
        return updated.withRev(r.body().path("rev").asText()).info(key);
      }
      if (r.status() != 409 || attempt >= ATTEMPTS) {
        throw http.failure(r, "update metadata", key);
      }
    }
  }

  @Override
  public void close() {
    // The JDK HttpClient has no close() before Java 21; its threads end when it is unreachable.
  }
}

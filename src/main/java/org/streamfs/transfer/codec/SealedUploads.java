package org.streamfs.transfer.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.streamfs.model.Sha256;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;

/**
 * The multipart side of {@link SealingStore}: one {@link ObjectCodec} per sealed upload (kept in memory,
 * rebuilt from the header token in the upload id after a restart), sealing each part, remembering the
 * plaintext receipts it handed out (so listParts reports plaintext sizes), and writing the index as the
 * final part at completion from the store's part sizes and the caller's plaintext sizes and checksums.
 */
final class SealedUploads {
  /** A completed sealed upload: the object as the store sees it and the file's size. */
  record Completed(ObjectInfo below, long plainSize) {}

  private final ObjectStore inner;
  private final CodecOptions options;
  private final Map<String, ObjectCodec> uploads = new ConcurrentHashMap<>();
  /** Plaintext receipts handed out, per upload id and part number (exact sizes for listParts). */
  private final Map<String, Map<Integer, PartReceipt>> receipts = new ConcurrentHashMap<>();

  SealedUploads(ObjectStore inner, CodecOptions options) {
    this.inner = inner;
    this.options = options;
  }

  String begin(String key, Map<String, String> metadata, Map<String, String> stored) throws StoreException {
    long chunk = 0;
    String c = metadata == null ? null : metadata.get(SealingStore.META_CHUNK);
    if (c != null) {
      try {
        chunk = Long.parseLong(c);
      } catch (NumberFormatException e) {
        chunk = 0;
      }
    }
    ObjectCodec codec = ObjectCodec.create(options, chunk > 0 && chunk <= ObjectCodec.MAX_CHUNK ? chunk : 0,
        inner.limits().minPartSize());
    String id = inner.beginUpload(key, stored) + SealingStore.ID_SEPARATOR + codec.headerToken();
    uploads.put(id, codec);
    return id;
  }

  private ObjectCodec sealedCodec(String key, String uploadId) throws StoreException {
    ObjectCodec c = codec(key, uploadId);
    if (c == null) {
      throw new IllegalStateException("not a sealed upload id: " + uploadId);
    }
    return c;
  }

  /** The codec of a sealed upload id (rebuilt from its token after a restart), or null for a plain one. */
  ObjectCodec codec(String key, String uploadId) throws StoreException {
    int i = uploadId.lastIndexOf(SealingStore.ID_SEPARATOR);
    if (i < 0) {
      return null;
    }
    ObjectCodec c = uploads.get(uploadId);
    if (c == null) {
      try {
        c = ObjectCodec.resume(options, uploadId.substring(i + SealingStore.ID_SEPARATOR.length()),
            inner.limits().minPartSize());
      } catch (WrongKeyException e) {
        throw new StoreException(Kind.PERMANENT, key, e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw new StoreException(Kind.NOT_FOUND, key, "unknown upload id: " + e.getMessage(), e);
      }
      uploads.put(uploadId, c);
    }
    return c;
  }

  PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    ObjectCodec codec = sealedCodec(key, uploadId);
    byte[] actual = Sha256.digest(data);
    if (sha256 != null && !java.security.MessageDigest.isEqual(actual, sha256)) {
      throw new StoreException(Kind.CHECKSUM, key, "part " + partNumber + " does not match its SHA-256: expected "
          + Sha256.hex(sha256) + ", got " + Sha256.hex(actual));
    }
    SealedFrame f;
    try {
      f = codec.sealChunk(partNumber - 1, data, actual);
    } catch (IllegalArgumentException e) {
      throw new StoreException(Kind.PERMANENT, key, "part " + partNumber + ": " + e.getMessage(), e);
    }
    PartReceipt r = inner.uploadPart(key, SealingStore.storeUploadId(uploadId), partNumber, f.part(),
        Sha256.digest(f.part()));
    PartReceipt plain = new PartReceipt(partNumber, data.remaining(), r.etag(), f.info().sha256Hex());
    receipts.computeIfAbsent(uploadId, u -> new ConcurrentHashMap<>()).put(partNumber, plain);
    return plain;
  }

  List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    ObjectCodec codec = sealedCodec(key, uploadId);
    Map<Integer, PartReceipt> known = receipts.getOrDefault(uploadId, Map.of());
    List<PartReceipt> out = new ArrayList<>();
    for (PartReceipt p : inner.listParts(key, SealingStore.storeUploadId(uploadId))) {
      PartReceipt k = known.get(p.partNumber());
      if (k != null && java.util.Objects.equals(k.etag(), p.etag())) {
        out.add(k);
      } else {
        // after a restart: sizes of full chunks are known, checksums are not (the engine's catalog has them)
        out.add(new PartReceipt(p.partNumber(), codec.chunkSize() > 0 ? codec.chunkSize() : -1, p.etag(),
            null));
      }
    }
    return out;
  }

  /** Writes the index part and completes; returns the object below and its plaintext size. */
  Completed complete(String key, String uploadId, List<PartReceipt> parts, Expect expect) throws StoreException {
    ObjectCodec codec = sealedCodec(key, uploadId);
    String storeId = SealingStore.storeUploadId(uploadId);
    Map<Integer, PartReceipt> held = new HashMap<>();
    for (PartReceipt p : inner.listParts(key, storeId)) {
      held.put(p.partNumber(), p);
    }
    List<FrameInfo> frames = new ArrayList<>();
    List<PartReceipt> below = new ArrayList<>();
    long size = 0;
    int last = 0;
    for (PartReceipt p : parts) {
      PartReceipt h = held.get(p.partNumber());
      if (h == null || (p.etag() != null && !p.etag().equals(h.etag()))) {
        throw new StoreException(Kind.PERMANENT, key, "part " + p.partNumber() + " is not held by the store"
            + " as uploaded (etag " + p.etag() + ")");
      }
      if (p.sha256Hex() == null || p.size() < 0) {
        throw new StoreException(Kind.PERMANENT, key, "sealed upload: part " + p.partNumber()
            + " needs its plaintext size and SHA-256 to write the index");
      }
      frames.add(new FrameInfo(p.partNumber() - 1, h.size(), (int) p.size(), p.sha256Hex()));
      below.add(h);
      size += p.size();
      last = Math.max(last, p.partNumber());
    }
    ByteBuffer index;
    try {
      index = codec.finish(size, frames);
    } catch (IllegalArgumentException e) {
      throw new StoreException(Kind.PERMANENT, key, "cannot complete sealed upload: " + e.getMessage(), e);
    }
    below.add(inner.uploadPart(key, storeId, last + 1, index, Sha256.digest(index)));
    ObjectInfo o = inner.completeUpload(key, storeId, below, expect);
    uploads.remove(uploadId);
    receipts.remove(uploadId);
    return new Completed(o, size);
  }

  void abort(String key, String uploadId) throws StoreException {
    inner.abortUpload(key, SealingStore.storeUploadId(uploadId));
    uploads.remove(uploadId);
    receipts.remove(uploadId);
  }

  /**
   * Uploads as the store lists them, with the sealed ids of uploads begun in this process; an upload begun
   * by an earlier process shows its store id (compare with {@link SealingStore#storeUploadId}; abortUpload takes it).
   */
  List<PendingUpload> list(String prefix) throws StoreException {
    Map<String, String> sealedIds = new HashMap<>();
    for (String id : uploads.keySet()) {
      sealedIds.put(SealingStore.storeUploadId(id), id);
    }
    List<PendingUpload> out = new ArrayList<>();
    for (PendingUpload u : inner.listUploads(prefix)) {
      String id = sealedIds.get(u.uploadId());
      out.add(id == null ? u : new PendingUpload(u.key(), id, u.initiated()));
    }
    return out;
  }
}

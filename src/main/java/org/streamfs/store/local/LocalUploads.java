package org.streamfs.store.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.model.Sha256;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.PendingUpload;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;

/**
 * Multipart uploads of the local store. Each upload is a directory {@code .streamfs-uploads/<id>/} holding
 * {@code upload.json} (key, metadata, initiated) and one file per part, {@code part-NNNNN}, whose SHA-256 is
 * kept in an xattr. A part is verified against the checksum it came with, written to a temp file, fsynced and
 * renamed into place, so {@link #listParts} only ever sees whole parts. Completion concatenates the named
 * parts into one temp file, fsyncs it, sets the metadata and renames it onto the key (the object appears
 * whole, the previous one stays until that instant), then removes the upload directory.
 */
final class LocalUploads {
  private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern PART = Pattern.compile("part-(\\d{5,})");
  private static final String DESCRIPTOR = "upload.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(LocalUploads.class);

  /** The JSON descriptor of one upload. */
  record Descriptor(String key, Map<String, String> metadata, String initiated) {}

  private final LocalPaths paths;
  private final LocalStore store;
  private final long minSlot;

  /** {@code minSlot}: the least part size that is written into the upload's slab ({@link LocalSlab}). */
  LocalUploads(LocalPaths paths, LocalStore store, long minSlot) {
    this.paths = paths;
    this.store = store;
    this.minSlot = minSlot;
  }

  String begin(String key, Map<String, String> metadata) throws StoreException {
    StoreKeys.validate(key, LocalPaths.MAX_KEY_BYTES);
    if (key.endsWith("/")) {
      throw new StoreException(Kind.PERMANENT, key, "multipart upload to a directory marker");
    }
    LocalMetadata.check(key, metadata);
    paths.requireRoot();
    String id = UUID.randomUUID().toString().replace("-", "");
    Path dir = paths.uploads.resolve(id);
    try {
      Files.createDirectories(dir);
      Descriptor d = new Descriptor(key, metadata == null ? Map.of() : new HashMap<>(metadata),
          Instant.now().toString());
      Path t = paths.writeTemp(ByteBuffer.wrap(JSON.writeValueAsBytes(d)));
      Files.move(t, dir.resolve(DESCRIPTOR), StandardCopyOption.ATOMIC_MOVE);
      LocalPaths.fsyncDir(dir);
      LocalPaths.fsyncDir(paths.uploads);
    } catch (IOException e) {
      throw LocalErrors.map(key, "beginning an upload", e);
    }
    return id;
  }

  PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    Path dir = dir(key, uploadId);
    checkPartNumber(key, partNumber);
    byte[] actual = Sha256.digest(data);
    if (sha256 == null || !MessageDigest.isEqual(actual, sha256)) {
      throw new StoreException(Kind.CHECKSUM, key, "part " + partNumber + ": SHA-256 of the received "
          + data.remaining() + " bytes is " + Sha256.hex(actual) + ", expected "
          + (sha256 == null ? "none" : Sha256.hex(sha256)));
    }
    try {
      long slot = LocalSlab.slotFor(dir, data.remaining(), minSlot);
      if (slot > 0) {
        return LocalSlab.write(dir, partNumber, data, slot, Sha256.hex(actual));
      }
      Path t = paths.writeTemp(data);
      return place(key, dir, partNumber, t, Sha256.hex(actual), data.remaining());
    } catch (NoSuchFileException e) {
      throw new StoreException(Kind.NOT_FOUND, key, "upload was aborted or completed meanwhile", e);
    } catch (IOException e) {
      throw LocalErrors.map(key, "writing part " + partNumber, e);
    }
  }

  PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey, String sourceVersion,
      long offset, long length) throws StoreException {
    Path dir = dir(key, uploadId);
    checkPartNumber(key, partNumber);
    Path src = paths.existing(sourceKey);
    ObjectInfo info = store.stat(sourceKey);
    if (sourceVersion != null && !sourceVersion.equals(info.version())) {
      throw new StoreException(Kind.PRECONDITION_FAILED, sourceKey, "version is " + info.version() + ", not "
          + sourceVersion);
    }
    if (offset < 0 || length < 0 || offset + length > info.size()) {
      throw new StoreException(Kind.PERMANENT, sourceKey, "range [" + offset + ", " + (offset + length)
          + ") is outside the " + info.size() + "-byte source object");
    }
    try {
      long slot = LocalSlab.slotFor(dir, length, minSlot);
      if (slot > 0) {
        boolean hole = zeroRange(src, offset, length);
        String hex = hole ? Sha256.hex(Sha256.zeroDigest(length)) : hashRange(src, offset, length);
        return LocalSlab.copy(dir, partNumber, hole ? null : src, offset, length, slot, hex);
      }
      Path t = paths.newTemp();
      try (FileChannel out = FileChannel.open(t, StandardOpenOption.WRITE)) {
        LocalPaths.append(out, src, offset, length);
        out.force(true);
      } catch (IOException e) {
        LocalPaths.deleteQuietly(t);
        throw e;
      }
      return place(key, dir, partNumber, t, hashFile(t), length);
    } catch (IOException e) {
      throw LocalErrors.map(key, "copying part " + partNumber + " from " + sourceKey, e);
    }
  }

  private PartReceipt place(String key, Path dir, int partNumber, Path temp, String hex, long size)
      throws IOException {
    try {
      LocalMetadata.setQuietly(temp, LocalMetadata.SHA256, hex);
      LocalSlab.forget(dir, partNumber);
      Files.move(temp, dir.resolve(partName(partNumber)), StandardCopyOption.ATOMIC_MOVE);
      LocalPaths.fsyncDir(dir);
    } catch (NoSuchFileException e) {
      LocalPaths.deleteQuietly(temp);
      throw new StoreException(Kind.NOT_FOUND, key, "upload was aborted or completed meanwhile", e);
    } catch (IOException e) {
      LocalPaths.deleteQuietly(temp);
      throw e;
    }
    return new PartReceipt(partNumber, size, hex, hex);
  }

  List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    Path dir = dir(key, uploadId);
    try {
      return parts(dir);
    } catch (NoSuchFileException e) {
      throw new StoreException(Kind.NOT_FOUND, key, "no such upload: " + uploadId, e);
    } catch (IOException e) {
      throw LocalErrors.map(key, "listing parts", e);
    }
  }

  private static List<PartReceipt> parts(Path dir) throws IOException {
    List<PartReceipt> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        var m = PART.matcher(p.getFileName().toString());
        if (m.matches()) {
          int n = Integer.parseInt(m.group(1));
          String hex = LocalMetadata.getQuietly(p, LocalMetadata.SHA256);
          if (hex == null) {
            hex = hashFile(p);
          }
          out.add(new PartReceipt(n, Files.size(p), hex, hex));
        }
      }
    }
    out.addAll(LocalSlab.parts(dir));
    out.sort(Comparator.comparingInt(PartReceipt::partNumber));
    return out;
  }

  ObjectInfo complete(String key, String uploadId, List<PartReceipt> named, Expect expect) throws StoreException {
    Path dir = dir(key, uploadId);
    Descriptor d = descriptor(key, uploadId, dir);
    if (named.isEmpty()) {
      throw new StoreException(Kind.PERMANENT, key, "completeUpload needs at least one part");
    }
    Map<Integer, PartReceipt> held = new HashMap<>();
    for (PartReceipt r : listParts(key, uploadId)) {
      held.put(r.partNumber(), r);
    }
    int previous = 0;
    for (PartReceipt r : named) {
      PartReceipt h = held.get(r.partNumber());
      if (h == null) {
        throw new StoreException(Kind.PERMANENT, key, "part " + r.partNumber() + " was not uploaded");
      }
      if (r.partNumber() <= previous) {
        throw new StoreException(Kind.PERMANENT, key, "parts must be listed in ascending order");
      }
      previous = r.partNumber();
      if (r.etag() != null && !r.etag().equals(h.etag())) {
        throw new StoreException(Kind.PERMANENT, key, "part " + r.partNumber() + " has etag " + h.etag()
            + ", not " + r.etag());
      }
    }
    if (!expect.isAny()) {
      // checked early too, so a conflict found here leaves the upload as it was (sealing its slab consumes it)
      String now = store.currentVersion(key);
      if (!expect.matches(now)) {
        throw expect.conflict(key, now);
      }
    }
    Path target = paths.forWrite(key);
    Path temp = null;
    try {
      Map<Integer, PartReceipt> slab = new HashMap<>();
      for (PartReceipt r : LocalSlab.parts(dir)) {
        slab.put(r.partNumber(), r);
      }
      long slot = LocalSlab.slotSize(dir);
      temp = paths.newTemp();
      int k = named.size();
      if (slot > 0 && wholeSlab(named, slab, slot)) {
        Path lastFile = slab.containsKey(k) ? null : dir.resolve(partName(k));
        LocalSlab.seal(dir, k, lastFile, held.get(k).size(), slot, temp);
      } else {
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
          for (PartReceipt r : named) {
            int n = r.partNumber();
            if (slab.containsKey(n)) {
              LocalPaths.append(out, LocalSlab.file(dir), (n - 1) * slot, slab.get(n).size());
            } else {
              Path p = dir.resolve(partName(n));
              LocalPaths.append(out, p, 0, Files.size(p));
            }
          }
          out.force(true);
        }
      }
      LocalMetadata.write(key, temp, d.metadata());
      LocalMetadata.newId(temp);
    } catch (IOException e) {
      if (temp != null) {
        LocalPaths.deleteQuietly(temp);
      }
      throw LocalErrors.map(key, "assembling the parts", e);
    }
    paths.publish(temp, target, key, expect, store::currentVersion);
    remove(dir);
    return store.stat(key);
  }

  /** Whether the object is parts 1..k with 1..k-1 in their slab slots (so the slab becomes the object). */
  private static boolean wholeSlab(List<PartReceipt> named, Map<Integer, PartReceipt> slab, long slot) {
    for (int i = 0; i < named.size(); i++) {
      int n = named.get(i).partNumber();
      if (n != i + 1) {
        return false;
      }
      if (n < named.size() && (!slab.containsKey(n) || slab.get(n).size() != slot)) {
        return false;
      }
    }
    return true;
  }

  void abort(String key, String uploadId) throws StoreException {
    StoreKeys.validate(key, LocalPaths.MAX_KEY_BYTES);
    if (uploadId == null || !ID.matcher(uploadId).matches()) {
      return;
    }
    Path dir = paths.uploads.resolve(uploadId);
    Descriptor d;
    try {
      d = readDescriptor(dir);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw LocalErrors.map(key, "reading upload " + uploadId, e);
    }
    if (d.key().equals(key)) {
      remove(dir);
    }
  }

  List<PendingUpload> list(String prefix) throws StoreException {
    StoreKeys.validatePrefix(prefix, LocalPaths.MAX_KEY_BYTES);
    paths.requireRoot();
    List<PendingUpload> out = new ArrayList<>();
    if (!Files.isDirectory(paths.uploads)) {
      return out;
    }
    try (Stream<Path> s = Files.list(paths.uploads)) {
      for (Path dir : (Iterable<Path>) s::iterator) {
        String id = dir.getFileName().toString();
        if (!ID.matcher(id).matches()) {
          continue;
        }
        try {
          Descriptor d = readDescriptor(dir);
          if (d.key().startsWith(prefix)) {
            out.add(new PendingUpload(d.key(), id, Instant.parse(d.initiated())));
          }
        } catch (NoSuchFileException e) {
          removeIfAbandoned(dir);
        } catch (IOException e) {
          LOG.warn("ignoring upload {} in {}: unreadable descriptor ({})", id, paths.root, e.toString());
        }
      }
    } catch (IOException e) {
      throw LocalErrors.map(null, "listing uploads under '" + prefix + "'", e);
    }
    out.sort(Comparator.comparing(PendingUpload::key).thenComparing(PendingUpload::initiated));
    return out;
  }

  // ---- internals ----

  /** An upload directory without descriptor is a begin that crashed (or an upload just removed): drop it. */
  private static void removeIfAbandoned(Path dir) {
    try {
      if (Files.getLastModifiedTime(dir).toInstant().isBefore(Instant.now().minus(Duration.ofDays(1)))) {
        remove(dir);
      }
    } catch (IOException e) {
      // gone already, or not ours to judge now; the next listing tries again
    }
  }

  private Path dir(String key, String uploadId) throws StoreException {
    StoreKeys.validate(key, LocalPaths.MAX_KEY_BYTES);
    paths.requireRoot();
    if (uploadId == null || !ID.matcher(uploadId).matches()) {
      throw new StoreException(Kind.NOT_FOUND, key, "no such upload: " + uploadId);
    }
    Path dir = paths.uploads.resolve(uploadId);
    descriptor(key, uploadId, dir);
    return dir;
  }

  private static Descriptor descriptor(String key, String uploadId, Path dir) throws StoreException {
    try {
      Descriptor d = readDescriptor(dir);
      if (!d.key().equals(key)) {
        throw new StoreException(Kind.NOT_FOUND, key, "upload " + uploadId + " is for another key");
      }
      return d;
    } catch (NoSuchFileException e) {
      throw new StoreException(Kind.NOT_FOUND, key, "no such upload: " + uploadId, e);
    } catch (IOException e) {
      throw LocalErrors.map(key, "reading upload " + uploadId, e);
    }
  }

  private static Descriptor readDescriptor(Path dir) throws IOException {
    return JSON.readValue(Files.readAllBytes(dir.resolve(DESCRIPTOR)), Descriptor.class);
  }

  private void checkPartNumber(String key, int partNumber) throws StoreException {
    if (partNumber < 1 || partNumber > store.limits().maxParts()) {
      throw new StoreException(Kind.PERMANENT, key, "part number " + partNumber + " is outside 1.."
          + store.limits().maxParts());
    }
  }

  static String partName(int n) {
    return String.format("part-%05d", n);
  }

  private static String hashRange(Path p, long offset, long length) throws IOException {
    if (zeroRange(p, offset, length)) {
      return Sha256.hex(Sha256.zeroDigest(length));
    }
    MessageDigest md = Sha256.newDigest();
    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      long done = 0;
      while (done < length) {
        buf.clear().limit((int) Math.min(buf.capacity(), length - done));
        int n = in.read(buf, offset + done);
        if (n <= 0) {
          throw new IOException("short read from " + p + " at " + (offset + done));
        }
        md.update(buf.flip());
        done += n;
      }
    }
    return Sha256.hex(md.digest());
  }

  /** Whether [offset, offset+length) of {@code p} reads as zeros (a hole): then its digest is known. */
  private static boolean zeroRange(Path p, long offset, long length) throws IOException {
    long data = Holes.firstData(p, offset, length);
    if (data == Holes.NONE) {
      return true; // a hole: known without reading it
    }
    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(org.streamfs.model.Zeros.BLOCK);
      long done = data > offset ? data - offset : 0;
      while (done < length) {
        buf.clear().limit((int) Math.min(buf.capacity(), length - done));
        int n = in.read(buf, offset + done);
        if (n <= 0) {
          return false;
        }
        if (!org.streamfs.model.Zeros.isZero(buf.flip())) {
          return false;
        }
        done += n;
      }
    }
    return true;
  }

  private static String hashFile(Path p) throws IOException {
    MessageDigest md = Sha256.newDigest();
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return Sha256.hex(md.digest());
  }

  /** Deletes an upload directory; the descriptor goes last so a crash leaves a still-listed upload. */
  private static void remove(Path dir) throws StoreException {
    LocalSlab.forgetAll(dir);
    for (int attempt = 0; ; attempt++) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          if (!p.getFileName().toString().equals(DESCRIPTOR)) {
            Files.deleteIfExists(p);
          }
        }
        Files.deleteIfExists(dir.resolve(DESCRIPTOR));
        Files.deleteIfExists(dir);
        return;
      } catch (NoSuchFileException e) {
        return;
      } catch (DirectoryNotEmptyException e) {
        if (attempt >= 3) {
          throw LocalErrors.map(null, "removing upload " + dir.getFileName(), e);
        }
      } catch (IOException e) {
        throw LocalErrors.map(null, "removing upload " + dir.getFileName(), e);
      }
    }
  }
}

package org.streamfs.store.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
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

/**
 * The embedded default store: a directory whose regular files are the objects, byte for byte (any other tool
 * can read them), and whose sub-directories are the directory markers. Metadata and identity live in user
 * xattrs ({@link LocalMetadata}); multipart uploads in a hidden area ({@link LocalUploads}); key safety and
 * the temp-fsync-rename-fsync publish in {@link LocalPaths}; errno-to-kind mapping in {@link LocalErrors}.
 * Every write publishes atomically, so a reader sees the old object or the new one, never a mix. Thread-safe:
 * it holds no mutable state beyond the file system.
 */
public final class LocalStore implements ObjectStore {
  private final LocalPaths paths;
  private final LocalUploads uploads;

  /** Parts of at least this size are written in place into the upload's slab ({@link LocalSlab}). */
  static final long MIN_SLOT = 1 << 20;

  private LocalStore(Path root, long minSlot) {
    this.paths = new LocalPaths(root);
    this.uploads = new LocalUploads(paths, this, minSlot);
  }

  /**
   * Opens the store rooted at {@code root}; with {@code create}, a missing root is created 0700. Without it, a
   * missing root is NOT_FOUND "store directory does not exist: ...". A read-only root opens (for reading);
   * {@link #checkAccess} then reports ACCESS_DENIED.
   */
  public static LocalStore open(Path root, boolean create) throws StoreException {
    return open(root, create, MIN_SLOT);
  }

  /** As {@link #open(Path, boolean)}, with the least part size that goes into a slab (tests use 1). */
  static LocalStore open(Path root, boolean create, long minSlot) throws StoreException {
    Path abs = root.toAbsolutePath().normalize();
    if (create && !Files.isDirectory(abs)) {
      try {
        Files.createDirectories(abs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (IOException e) {
        throw LocalErrors.map(null, "creating store directory " + abs, e);
      }
    }
    LocalStore s = new LocalStore(abs, minSlot);
    try {
      s.paths.prepare();
    } catch (StoreException e) {
      if (e.kind() != Kind.ACCESS_DENIED) {
        throw e;
      }
      // a read-only store can still be read; checkAccess and every write report the refusal
    }
    return s;
  }

  /** The root directory. */
  public Path root() {
    return paths.root;
  }

  @Override
  public String describe() {
    return paths.root.toUri().toString();
  }

  @Override
  public void checkAccess() throws StoreException {
    paths.prepare();
    try {
      Files.delete(paths.newTemp());
    } catch (IOException e) {
      StoreException se = LocalErrors.map(null, "writing to store directory " + paths.root, e);
      if (se.kind() == Kind.PERMANENT) {
        throw new StoreException(Kind.ACCESS_DENIED, null, se.getMessage(), e);
      }
      throw se;
    }
  }

  @Override
  public ObjectInfo stat(String key) throws StoreException {
    Path p = paths.existing(key);
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      if (key.endsWith("/") ? !a.isDirectory() : !a.isRegularFile()) {
        throw StoreException.notFound(key);
      }
      return info(key, p, a);
    } catch (NoSuchFileException e) {
      throw StoreException.notFound(key);
    } catch (IOException e) {
      throw LocalErrors.map(key, "stat", e);
    }
  }

  static ObjectInfo info(String key, Path p, BasicFileAttributes a) throws IOException {
    return new ObjectInfo(key, a.isDirectory() ? 0 : a.size(), LocalMetadata.version(p, a),
        a.lastModifiedTime().toInstant(), LocalMetadata.read(p));
  }

  @Override
  public Listing list(String prefix, String delimiter) throws StoreException {
    return LocalListing.list(paths, prefix, delimiter);
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    if (offset < 0) {
      throw new StoreException(Kind.PERMANENT, key, "negative offset " + offset);
    }
    Path p = paths.existing(key);
    if (key.endsWith("/")) {
      ObjectInfo dir = stat(key);
      checkVersion(key, dir.version(), ifVersion);
      return InputStream.nullInputStream();
    }
    FileChannel ch = openVersion(key, p, ifVersion);
    try {
      long size = ch.size();
      long start = Math.min(offset, size);
      long end = length < 0 ? size : Math.min(size, start + length);
      ch.position(start);
      return new RangeStream(Channels.newInputStream(ch), end - start);
    } catch (IOException e) {
      closeQuietly(ch);
      throw LocalErrors.map(key, "reading", e);
    }
  }

  @Override
  public FileChannel openLocal(String key, String ifVersion) throws StoreException {
    if (key.endsWith("/")) {
      return null;
    }
    return openVersion(key, paths.existing(key), ifVersion);
  }

  /** Opens the object's file, checking that the file opened is the version asked for (if any). */
  private FileChannel openVersion(String key, Path p, String ifVersion) throws StoreException {
    FileChannel ch = null;
    try {
      for (int attempt = 0; ; attempt++) {
        String before = stat(key).version();
        ch = FileChannel.open(p, StandardOpenOption.READ);
        String after = stat(key).version();
        if (before.equals(after) || attempt >= 3) {
          checkVersion(key, after, ifVersion);
          return ch;
        }
        ch.close();
      }
    } catch (IOException e) {
      closeQuietly(ch);
      if (e instanceof NoSuchFileException) {
        throw StoreException.notFound(key);
      }
      throw LocalErrors.map(key, "reading", e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void checkVersion(String key, String version, String ifVersion) throws StoreException {
    if (ifVersion != null && !ifVersion.equals(version)) {
      throw new StoreException(Kind.PRECONDITION_FAILED, key, "version is " + version + ", not " + ifVersion);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing more to do
      }
    }
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    StoreKeys.validate(key, LocalPaths.MAX_KEY_BYTES);
    LocalMetadata.check(key, metadata);
    Path target = paths.forWrite(key);
    if (key.endsWith("/")) {
      if (data.length > 0) {
        throw new StoreException(Kind.PERMANENT, key, "a directory marker cannot hold data");
      }
      try {
        Files.createDirectories(target);
        LocalMetadata.write(key, target, metadata);
        LocalPaths.fsyncDir(target.getParent());
      } catch (FileAlreadyExistsException e) {
        throw new StoreException(Kind.PERMANENT, key, "a file exists where the directory should be", e);
      } catch (IOException e) {
        throw LocalErrors.map(key, "creating directory marker", e);
      }
      return stat(key);
    }
    Path temp = null;
    try {
      temp = paths.writeTemp(ByteBuffer.wrap(data));
      LocalMetadata.write(key, temp, metadata);
      LocalMetadata.newId(temp);
    } catch (IOException e) {
      if (temp != null) {
        LocalPaths.deleteQuietly(temp);
      }
      throw LocalErrors.map(key, "writing", e);
    }
    paths.publish(temp, target, key, expect, this::currentVersion);
    return stat(key);
  }

  /** The version {@code key} holds now, null if no object (the check of a conditional publish). */
  String currentVersion(String key) throws StoreException {
    try {
      return stat(key).version();
    } catch (StoreException e) {
      if (e.kind() == Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  @Override
  public String beginUpload(String key, Map<String, String> metadata) throws StoreException {
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
    return uploads.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length);
  }

  @Override
  public List<PartReceipt> listParts(String key, String uploadId) throws StoreException {
    return uploads.listParts(key, uploadId);
  }

  @Override
  public ObjectInfo completeUpload(String key, String uploadId, List<PartReceipt> parts, Expect expect)
      throws StoreException {
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
    Path p;
    try {
      p = paths.existing(key);
    } catch (StoreException e) {
      if (e.kind() == Kind.NOT_FOUND) {
        return;
      }
      throw e;
    }
    try {
      boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
      if (dir != key.endsWith("/")) {
        return;
      }
      Files.deleteIfExists(p);
    } catch (DirectoryNotEmptyException e) {
      throw new StoreException(Kind.PERMANENT, key, "directory marker is not empty: delete what is below it first",
          e);
    } catch (IOException e) {
      throw LocalErrors.map(key, "deleting", e);
    }
  }

  /** No part limits; keys up to 16 KiB (longer than PATH_MAX: see LocalPaths). */
  @Override
  public org.streamfs.store.StoreLimits limits() {
    return new org.streamfs.store.StoreLimits(1, Long.MAX_VALUE, Integer.MAX_VALUE, LocalPaths.MAX_KEY_BYTES);
  }

  @Override
  public boolean movesInPlace() {
    return true;
  }

  /**
   * rename(2) of the object's file (same file system, atomic, replacing the target), both directories
   * fsynced; the version (id, size, mtime, inode) moves with it. Null for a directory marker or a symbolic
   * link another tool put in the store (those are copied).
   */
  @Override
  public ObjectInfo moveInPlace(String fromKey, String toKey) throws StoreException {
    StoreKeys.validate(fromKey, LocalPaths.MAX_KEY_BYTES);
    StoreKeys.validate(toKey, LocalPaths.MAX_KEY_BYTES);
    if (fromKey.endsWith("/") || toKey.endsWith("/")) {
      return null;
    }
    Path from = paths.existing(fromKey);
    if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
      if (Files.notExists(from, LinkOption.NOFOLLOW_LINKS)
          || Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
        throw StoreException.notFound(fromKey);
      }
      return null;
    }
    Path target = paths.forWrite(toKey);
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new StoreException(Kind.PERMANENT, toKey, "a directory exists at this key");
    }
    try {
      Files.move(from, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      LocalPaths.fsyncDir(target.getParent());
      if (!target.getParent().equals(from.getParent())) {
        LocalPaths.fsyncDir(from.getParent());
      }
    } catch (NoSuchFileException e) {
      throw StoreException.notFound(fromKey);
    } catch (IOException e) {
      throw LocalErrors.map(toKey, "moving from " + fromKey, e);
    }
    return stat(toKey);
  }

  /**
   * rename(2) of the directory (atomic; onto nothing or an empty directory), both parents fsynced. False,
   * with nothing changed, when the source is not a real directory or the target is anything else.
   */
  @Override
  public boolean movePrefixInPlace(String fromPrefix, String toPrefix) throws StoreException {
    if (!fromPrefix.endsWith("/") || !toPrefix.endsWith("/") || toPrefix.startsWith(fromPrefix)) {
      return false;
    }
    StoreKeys.validate(fromPrefix, LocalPaths.MAX_KEY_BYTES);
    StoreKeys.validate(toPrefix, LocalPaths.MAX_KEY_BYTES);
    Path from;
    try {
      from = paths.existing(fromPrefix);
    } catch (StoreException e) {
      if (e.kind() == Kind.NOT_FOUND) {
        return false;
      }
      throw e;
    }
    if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    Path target = paths.forWrite(toPrefix);
    try {
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
        try (java.util.stream.Stream<Path> s = Files.list(target)) {
          if (s.findAny().isPresent()) {
            return false;
          }
        }
      }
      Files.move(from, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      LocalPaths.fsyncDir(target.getParent());
      if (!target.getParent().equals(from.getParent())) {
        LocalPaths.fsyncDir(from.getParent());
      }
      return true;
    } catch (NoSuchFileException | DirectoryNotEmptyException | FileAlreadyExistsException e) {
      return false; // changed meanwhile: nothing was moved
    } catch (IOException e) {
      throw LocalErrors.map(toPrefix, "moving directory " + fromPrefix, e);
    }
  }

  @Override
  public ObjectInfo copy(String fromKey, String toKey) throws StoreException {
    StoreKeys.validate(toKey, LocalPaths.MAX_KEY_BYTES);
    ObjectInfo src = stat(fromKey);
    if (fromKey.endsWith("/") || toKey.endsWith("/")) {
      if (!fromKey.endsWith("/") || !toKey.endsWith("/")) {
        throw new StoreException(Kind.PERMANENT, toKey, "cannot copy between a directory marker and an object");
      }
      return put(toKey, new byte[0], src.metadata());
    }
    Path from = paths.existing(fromKey);
    Path target = paths.forWrite(toKey);
    Path temp = null;
    try {
      temp = paths.newTemp();
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        LocalPaths.append(out, from, 0, Files.size(from));
        out.force(true);
      }
      LocalMetadata.write(toKey, temp, LocalMetadata.read(from));
      LocalMetadata.newId(temp);
    } catch (IOException e) {
      if (temp != null) {
        LocalPaths.deleteQuietly(temp);
      }
      throw LocalErrors.map(toKey, "copying from " + fromKey, e);
    }
    paths.publish(temp, target, toKey);
    return stat(toKey);
  }

  @Override
  public ObjectInfo updateMetadata(String key, Map<String, String> metadata) throws StoreException {
    LocalMetadata.check(key, metadata);
    stat(key);
    try {
      LocalMetadata.write(key, paths.existing(key), metadata);
    } catch (IOException e) {
      throw LocalErrors.map(key, "updating metadata", e);
    }
    return stat(key);
  }

  /** Sidecar manifests live in {@code .streamfs-manifests/<2 hex>/<sidecar id>}, hidden as every reserved name. */
  static final String MANIFESTS = ".streamfs-manifests";
  /** A sidecar larger than this is not ours (one of a 16 TiB file at 1 MiB chunks is about 1.1 GB). */
  private static final long MAX_MANIFEST_BYTES = 2L << 30;

  @Override
  public boolean keepsManifests() {
    return true;
  }

  private Path sidecar(String id) {
    return paths.root.resolve(MANIFESTS).resolve(id.substring(0, 2)).resolve(id);
  }

  @Override
  public StoredManifest readManifest(String key) throws StoreException {
    StoreKeys.validate(key, LocalPaths.MAX_KEY_BYTES);
    return readManifestById(StoredManifest.sidecarId(key));
  }

  @Override
  public StoredManifest readManifestById(String id) throws StoreException {
    if (!StoredManifest.isSidecarId(id)) {
      return null;
    }
    Path p = sidecar(id);
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (size > MAX_MANIFEST_BYTES) {
        return null;
      }
      ByteBuffer b = ByteBuffer.allocate((int) size);
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // reads to the end
      }
      return StoredManifest.parse(b.array());
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw LocalErrors.map(null, "reading the manifest sidecar " + id, e);
    }
  }

  /**
   * Temp file, then rename(2) onto the sidecar: a reader sees the old manifest or the new one. Not fsynced:
   * a sidecar lost in a power cut leaves its object unverified, and a manifest can never vouch for another
   * version than the one it names.
   */
  @Override
  public void writeManifest(StoredManifest m) throws StoreException {
    StoreKeys.validate(m.key(), LocalPaths.MAX_KEY_BYTES);
    Path target = sidecar(StoredManifest.sidecarId(m.key()));
    Path temp = null;
    try {
      Files.createDirectories(target.getParent(),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      temp = paths.newTemp();
      Files.write(temp, m.toJson(), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (temp != null) {
        LocalPaths.deleteQuietly(temp);
      }
      throw LocalErrors.map(m.key(), "writing the manifest sidecar", e);
    }
  }

  @Override
  public void deleteManifest(String key) throws StoreException {
    StoreKeys.validate(key, LocalPaths.MAX_KEY_BYTES);
    deleteManifestById(StoredManifest.sidecarId(key));
  }

  @Override
  public void deleteManifestById(String id) throws StoreException {
    if (!StoredManifest.isSidecarId(id)) {
      return;
    }
    try {
      Files.deleteIfExists(sidecar(id));
    } catch (IOException e) {
      throw LocalErrors.map(null, "deleting the manifest sidecar " + id, e);
    }
  }

  @Override
  public List<String> listManifestIds() throws StoreException {
    Path dir = paths.root.resolve(MANIFESTS);
    List<String> out = new java.util.ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (java.util.stream.Stream<Path> buckets = Files.list(dir)) {
      for (Path b : (Iterable<Path>) buckets::iterator) {
        if (!Files.isDirectory(b, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (java.util.stream.Stream<Path> s = Files.list(b)) {
          s.map(f -> f.getFileName().toString()).filter(StoredManifest::isSidecarId).forEach(out::add);
        }
      }
    } catch (IOException e) {
      throw LocalErrors.map(null, "listing manifest sidecars", e);
    }
    out.sort(null);
    return out;
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return describe();
  }
}

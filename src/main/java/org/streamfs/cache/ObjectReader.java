package org.streamfs.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.ChunkManifest;
import org.streamfs.transfer.StreamingManager;

/**
 * Reads byte ranges of a stored object version through the {@link ChunkCache}: only the chunks touched are
 * fetched (by the engine, verified against the manifest recorded at upload), and a sequential reader's
 * {@link ReadAhead} window of following chunks is prefetched in the background. Manifests are memoised per
 * (key, version).
 *
 * <p>An object the store lets the mount read in place (a local directory store, {@link
 * org.streamfs.store.ObjectStore#openLocal}) is not copied into the cache: each chunk touched is verified
 * once ({@link ChunkCache#verify}, prefetched the same way) and the bytes are read from the object's own
 * file, which the handle's {@link Session} keeps open, so the version read stays the one verified even if
 * the key is replaced meanwhile.
 */
public final class ObjectReader {
  private static final int READ_SLICE = 256 * 1024;
  private final StreamingManager engine;
  private final ChunkCache cache;
  /**
   * An unverified answer (no manifest names the version) is asked again at the first read of a later open
   * once it is this old: the writer on another machine may have stored the manifest since.
   */
  private static final long UNVERIFIED_RECHECK_NANOS = 1_000_000_000L;

  private record Memo(ChunkManifest manifest, long atNanos) {}

  private final Map<String, Memo> manifests = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Memo> eldest) {
      return size() > 1024;
    }
  };

  public ObjectReader(StreamingManager engine, ChunkCache cache) {
    this.engine = engine;
    this.cache = cache;
  }

  public ChunkCache cache() {
    return cache;
  }

  /** The manifest of this object version (memoised). */
  public ChunkManifest manifest(ObjectInfo object) {
    return manifest(object, false);
  }

  /**
   * The memoised manifest; with {@code firstOfOpen} (the first read of an open, a query of the
   * {@code verified} xattr), an unverified one older than a second is asked for again: one store round trip
   * at most per open, none while a handle reads.
   */
  public ChunkManifest manifest(ObjectInfo object, boolean firstOfOpen) {
    String k = object.key() + "\0" + object.version();
    synchronized (manifests) {
      Memo m = manifests.get(k);
      if (m != null && (m.manifest().verifiable() || !firstOfOpen
          || System.nanoTime() - m.atNanos() < UNVERIFIED_RECHECK_NANOS)) {
        return m.manifest();
      }
    }
    ChunkManifest m = engine.manifest(object);
    synchronized (manifests) {
      manifests.put(k, new Memo(m, System.nanoTime()));
    }
    return m;
  }

  /** A new session for one open handle, with a read-ahead window of up to {@code readAheadMax} chunks. */
  public Session session(int readAheadMax) {
    return new Session(new ReadAhead(readAheadMax));
  }

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count (0 at or past the end).
   * With a non-null {@code session}, prefetches its read-ahead window beyond the last chunk touched.
   */
  public int read(ObjectInfo object, long offset, ByteBuffer dst, Session session) throws IOException {
    long size = object.size();
    if (offset >= size || !dst.hasRemaining()) {
      return 0;
    }
    ChunkManifest m = session != null ? session.manifest(object, this) : manifest(object);
    long cs = m.chunkSize() > 0 ? m.chunkSize() : size;
    int want = (int) Math.min(dst.remaining(), size - offset);
    FileChannel inPlace = session != null ? session.channel(object, this) : null;
    if (inPlace == null && session == null) {
      try (FileChannel once = engine.store().openLocal(object.key(), object.version())) {
        if (once != null) {
          return readInPlace(object, m, cs, once, offset, dst, want);
        }
      }
    }
    int done = inPlace != null ? readInPlace(object, m, cs, inPlace, offset, dst, want)
        : readCached(object, m, cs, offset, dst, want);
    if (session != null) {
      ReadAhead ra = session.readAhead();
      int window = ra.onRead(offset, done, cs);
      int last = (int) ((offset + done - 1) / cs);
      int chunks = (int) ((size + cs - 1) / cs);
      for (int i = last + 1; i <= last + window && i < chunks; i++) {
        long s = i * cs;
        int len = (int) Math.min(cs, size - s);
        if (inPlace == null) {
          cache.prefetch(id(object, i), len, fetcher(object, m, i));
        } else if (checked(m, i) && !cache.verified(id(object, i))) {
          cache.prefetch(id(object, i), len, fetcher(object, m, i), true);
        } else if (session.firstReadAhead(i)) {
          FileChannel ch = inPlace;
          cache.readAhead(len, buf -> readFully(ch, s, buf));
        }
      }
    }
    return done;
  }

  private int readCached(ObjectInfo object, ChunkManifest m, long cs, long offset, ByteBuffer dst, int want)
      throws IOException {
    long size = object.size();
    int done = 0;
    while (done < want) {
      long pos = offset + done;
      int index = (int) (pos / cs);
      long cStart = index * cs;
      int cLen = (int) Math.min(cs, size - cStart);
      int n = (int) Math.min(want - done, cStart + cLen - pos);
      ByteBuffer slice = dst.slice(dst.position() + done, n);
      int got = cache.read(id(object, index), cLen, pos - cStart, slice, fetcher(object, m, index));
      if (got < n) {
        throw new IOException("cached chunk " + index + " of " + object.key() + " is short: " + got + " < " + n);
      }
      done += n;
    }
    dst.position(dst.position() + done);
    return done;
  }

  /** Verifies the chunks of {@code [offset, offset+want)} (once each), then reads them from {@code ch}. */
  private int readInPlace(ObjectInfo object, ChunkManifest m, long cs, FileChannel ch, long offset,
      ByteBuffer dst, int want) throws IOException {
    long size = object.size();
    for (int i = (int) (offset / cs); i <= (int) ((offset + want - 1) / cs); i++) {
      if (checked(m, i)) {
        cache.verify(id(object, i), (int) Math.min(cs, size - i * cs), fetcher(object, m, i));
      }
    }
    ByteBuffer view = dst.slice(dst.position(), want);
    try {
      readFully(ch, offset, view);
    } catch (java.io.EOFException e) {
      throw new IOException(object.key() + " (version " + object.version() + ") ended at "
          + (offset + view.position()) + " in the store, before its size " + size);
    }
    dst.position(dst.position() + want);
    return want;
  }

  /**
   * Fills {@code dst} from {@code ch} at {@code offset}; EOFException if the file ends first. In slices of at
   * most 256 KiB: for a heap buffer the JDK reads through a temporary direct buffer of the slice's size, and
   * the launchers cap the ones it keeps at 256 KiB (a chunk-sized one would be allocated and zeroed per read).
   */
  private static void readFully(FileChannel ch, long offset, ByteBuffer dst) throws IOException {
    int start = dst.position();
    while (dst.hasRemaining()) {
      ByteBuffer slice = dst.slice(dst.position(), Math.min(READ_SLICE, dst.remaining()));
      int n = ch.read(slice, offset + dst.position() - start);
      if (n <= 0) {
        throw new java.io.EOFException();
      }
      dst.position(dst.position() + n);
    }
  }

  /** True if chunk {@code index} has a checksum to verify against (and verifying is on). */
  private boolean checked(ChunkManifest m, int index) {
    return m.expected(index) != null && engine.config().verifyChecksums();
  }

  /**
   * What one open handle keeps between reads: its read-ahead window, and the store file of the object
   * version it reads in place (opened at the first read; a handle that sees a new version opens that one and
   * keeps the old open until {@link #close}, since a read of it may still be running).
   */
  public static final class Session implements AutoCloseable {
    private final ReadAhead readAhead;
    private final List<FileChannel> retired = new ArrayList<>();
    private String openFor;
    private FileChannel channel;
    private String manifestFor;
    private ChunkManifest manifest;
    private int readAheadDone = -1;
    private boolean closed;

    Session(ReadAhead readAhead) {
      this.readAhead = readAhead;
    }

    public ReadAhead readAhead() {
      return readAhead;
    }

    /** The manifest this handle reads the object version by: looked up at its first read of it. */
    ChunkManifest manifest(ObjectInfo object, ObjectReader reader) {
      String want = object.key() + "\0" + object.version();
      synchronized (this) {
        if (want.equals(manifestFor)) {
          return manifest;
        }
      }
      ChunkManifest m = reader.manifest(object, true);
      synchronized (this) {
        manifestFor = want;
        manifest = m;
      }
      return m;
    }

    /** The open store file of this object version, or null if the store does not offer one. */
    synchronized FileChannel channel(ObjectInfo object, ObjectReader reader) throws IOException {
      String want = object.key() + "\0" + object.version();
      if (want.equals(openFor)) {
        return channel;
      }
      if (closed) {
        throw new java.nio.channels.ClosedChannelException();
      }
      FileChannel ch = reader.engine.store().openLocal(object.key(), object.version());
      if (channel != null) {
        retired.add(channel);
      }
      channel = ch;
      openFor = want;
      readAheadDone = -1;
      return ch;
    }

    /** True the first time chunk {@code index} (beyond those before it) is read ahead for this version. */
    synchronized boolean firstReadAhead(int index) {
      if (index <= readAheadDone) {
        return false;
      }
      readAheadDone = index;
      return true;
    }

    /** Closes the store files opened (read-only: a failure to close them loses nothing). */
    @Override
    public synchronized void close() {
      closed = true;
      if (channel != null) {
        retired.add(channel);
        channel = null;
      }
      for (FileChannel c : retired) {
        try {
          c.close();
        } catch (IOException e) {
          // nothing was written through it
        }
      }
      retired.clear();
    }
  }

  private static ChunkCache.ChunkId id(ObjectInfo o, int index) {
    return new ChunkCache.ChunkId(o.key(), o.version(), index);
  }

  private ChunkCache.Fetcher fetcher(ObjectInfo o, ChunkManifest m, int index) {
    return dst -> engine.fetchChunk(o, m, index, dst);
  }
}

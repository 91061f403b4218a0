package org.streamfs.store.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.streamfs.model.Zeros;
import org.streamfs.store.PartReceipt;

/**
 * The parts of one local multipart upload that share a size, written in place into one sparse file,
 * {@code slab}: part n at offset (n - 1) × slot. The slot size is the size of the first part that arrives
 * with at least {@code minSlot} bytes (kept in {@code slab.size}); parts of another size stay separate
 * files. When the object is parts 1..k with 1..k-1 in their slots, completing it appends at most the last
 * part, truncates and renames the slab onto the key: the bytes are written once instead of twice (the
 * concatenation used to copy the whole object again, and fsync it again).
 *
 * <p>Each slab part has a receipt file {@code slot-NNNNN} ("sha256hex size"), written (temp, fsync, rename)
 * only after its bytes are fsynced, and removed before they are overwritten, so a listed part is always
 * whole, as with separate part files.
 */
final class LocalSlab {
  static final String FILE = "slab";
  private static final String SIZE = "slab.size";
  private static final Pattern SLOT = Pattern.compile("slot-(\\d{5,})");

  private LocalSlab() {}

  static Path file(Path dir) {
    return dir.resolve(FILE);
  }

  static String slotName(int n) {
    return String.format("slot-%05d", n);
  }

  /** The slot size of the upload, or 0 if none was chosen yet. */
  static long slotSize(Path dir) throws IOException {
    try {
      return Long.parseLong(Files.readString(dir.resolve(SIZE), StandardCharsets.US_ASCII).trim());
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  /**
   * The slot size a part of {@code size} bytes goes to: the upload's slot size if it equals {@code size},
   * {@code size} itself if no slot size was chosen and {@code size >= minSlot} (it becomes the slot
   * size), else 0 (the part stays a separate file).
   */
  static long slotFor(Path dir, long size, long minSlot) throws IOException {
    long slot = slotSize(dir);
    if (slot == 0 && size >= minSlot && size > 0) {
      Path tmp = dir.resolve(SIZE + "." + UUID.randomUUID().toString().replace("-", ""));
      try {
        Files.writeString(tmp, Long.toString(size), StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        Files.createLink(dir.resolve(SIZE), tmp);
        LocalPaths.fsyncDir(dir);
      } catch (FileAlreadyExistsException raced) {
        // a part arriving in parallel chose first
      } catch (IOException | UnsupportedOperationException noHardLinks) {
        return 0; // a file system without hard links: parts stay separate files (copied at completion)
      } finally {
        Files.deleteIfExists(tmp);
      }
      slot = slotSize(dir);
    }
    return slot == size ? slot : 0;
  }

  /**
   * Parts copied from another object into their slots, by upload directory: their bytes are written but
   * not fsynced and they have no receipt file, so only this process knows them (listed and completed like
   * the others; the seal's fsync makes them durable). A crash forgets them and the copy is simply made
   * again: an unchanged chunk of a large file then costs no fsync of its own (a 1 GiB sparse file
   * rewritten in one chunk used to take over 500 fsyncs of receipts and slots).
   */
  private static final Map<Path, Map<Integer, PartReceipt>> UNSYNCED = new java.util.concurrent.ConcurrentHashMap<>();

  /** Forgets every part this process knows of the upload (completed or aborted). */
  static void forgetAll(Path dir) {
    UNSYNCED.remove(dir);
  }

  /** Forgets slab part n (before its number is reused by a separate file or rewritten). */
  static void forget(Path dir, int n) throws IOException {
    Map<Integer, PartReceipt> copied = UNSYNCED.get(dir);
    if (copied != null) {
      copied.remove(n);
    }
    if (Files.deleteIfExists(dir.resolve(slotName(n)))) {
      LocalPaths.fsyncDir(dir);
    }
  }

  /** Writes part n into its slot, fsyncs it, then records its receipt. */
  static PartReceipt write(Path dir, int n, ByteBuffer data, long slot, String hex) throws IOException {
    ByteBuffer b = data.duplicate();
    return fill(dir, n, slot, hex, b.remaining(), (ch, at) -> {
      if (org.streamfs.model.Zeros.isZero(b) && holeOrZeros(ch, file(dir), at, b.remaining())) {
        // a hole of a sparse file: leave it a hole (the slot reads as zeros already)
        extendTo(ch, at + b.remaining());
        return;
      }
      if (writeSparse(dir, ch, b, at)) {
        return;
      }
      at += writeDirect(dir, b, at);
      while (b.hasRemaining()) {
        at += ch.write(b, at);
      }
    });
  }

  /** Granule in which a part's zero runs are left as holes (a multiple of the O_DIRECT alignment). */
  private static final int SPARSE_BLOCK = 64 << 10;

  /**
   * Writes a part that is partly zeros (a chunk of a sparse file with a few bytes written) block by block,
   * leaving its zero blocks as holes where the slot already reads zeros: a 100-byte write into an 8 MiB
   * chunk writes and fsyncs 64 KiB, not 8 MiB. Returns false, writing nothing, when the part has no zero
   * block (the caller writes it whole).
   */
  private static boolean writeSparse(Path dir, FileChannel ch, ByteBuffer b, long at) throws IOException {
    int len = b.remaining();
    if (len < 2 * SPARSE_BLOCK) {
      return false;
    }
    int base = b.position();
    boolean anyZero = false;
    for (int off = 0; off < len && !anyZero; off += SPARSE_BLOCK) {
      anyZero = Zeros.isZero(b.slice(base + off, Math.min(SPARSE_BLOCK, len - off)));
    }
    if (!anyZero) {
      return false;
    }
    Path path = file(dir);
    int runStart = -1;
    // blocks at 0, 64 KiB, ... and a last pass at len itself that ends the last run (len need not be a
    // multiple of the block: a file's last part)
    for (int off = 0; off <= len; off = off == len ? len + 1 : Math.min(off + SPARSE_BLOCK, len)) {
      int n = Math.min(SPARSE_BLOCK, len - off);
      boolean skip = off == len || Zeros.isZero(b.slice(base + off, n)) && holeOrZeros(ch, path, at + off, n);
      if (!skip && runStart < 0) {
        runStart = off;
      } else if (skip && runStart >= 0) {
        ByteBuffer run = b.slice(base + runStart, off - runStart);
        long w = at + runStart + writeDirect(dir, run, at + runStart);
        while (run.hasRemaining()) {
          w += ch.write(run, w);
        }
        runStart = -1;
      }
    }
    extendTo(ch, at + len);
    b.position(b.limit());
    return true;
  }

  private static final int DIRECT_ALIGN = 4096;
  /** Upload directories' parent (one per store) → false once the file system refused O_DIRECT. */
  private static final Map<Path, Boolean> DIRECT = new java.util.concurrent.ConcurrentHashMap<>();

  /** Whether parts under {@code uploads} went to disk with O_DIRECT: true, false (refused), null (untried). */
  static Boolean directUsed(Path uploads) {
    return DIRECT.get(uploads);
  }

  /**
   * Writes the block-aligned head of {@code b} at {@code at} with O_DIRECT, advancing {@code b}; returns the
   * bytes written (0 if the buffer, offset or file system does not allow it, and the caller writes it all
   * through the page cache). Why: the store keeps every byte it is given, so a buffered write takes a fresh
   * page-cache page per 4 KiB; measured here (a 2-core VM, ext4) that copy cost 1.7-2.7 s of CPU per GiB
   * against 0.2 s for the same part writes with O_DIRECT, CPU the writer on the mount is waiting for. The
   * fsync that follows each part is what makes it durable, as before.
   */
  private static long writeDirect(Path dir, ByteBuffer b, long at) throws IOException {
    long len = b.remaining() & ~(long) (DIRECT_ALIGN - 1);
    Path parent = dir.getParent();
    if (len == 0 || !b.isDirect() || at % DIRECT_ALIGN != 0
        || b.alignmentOffset(b.position(), DIRECT_ALIGN) != 0 || Boolean.FALSE.equals(DIRECT.get(parent))) {
      return 0;
    }
    FileChannel d;
    try {
      d = FileChannel.open(file(dir), StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
    } catch (IOException | UnsupportedOperationException e) {
      DIRECT.put(parent, false); // e.g. EINVAL: this file system has no O_DIRECT
      return 0;
    }
    try (d) {
      ByteBuffer head = b.slice(b.position(), (int) len);
      long done = 0;
      try {
        while (head.hasRemaining()) {
          done += d.write(head, at + done);
        }
      } catch (IOException e) {
        if (done == 0 && String.valueOf(e.getMessage()).contains("not aligned")) {
          DIRECT.put(parent, false); // a block size above 4 KiB: buffered writes from now on
          return 0;
        }
        throw e;
      }
      DIRECT.putIfAbsent(parent, true);
      b.position(b.position() + (int) len);
      return len;
    }
  }

  /**
   * Copies {@code length} bytes of {@code src} from {@code offset} into slot n, then records it; a null
   * {@code src} is a range known to read as zeros (a hole), which leaves the slot a hole.
   */
  static PartReceipt copy(Path dir, int n, Path src, long offset, long length, long slot, String hex)
      throws IOException {
    forget(dir, n);
    Files.deleteIfExists(dir.resolve(LocalUploads.partName(n)));
    PartReceipt r = new PartReceipt(n, length, hex, hex);
    writing(dir, slot, () -> {
      try (FileChannel ch = FileChannel.open(file(dir), StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        long at = (long) (n - 1) * slot;
        if (src != null) {
          copySparse(src, offset, length, ch, file(dir), at);
        } else if (holeOrZeros(ch, file(dir), at, length)) {
          extendTo(ch, at + length);
        } else {
          writeZeros(ch, at, length);
        }
      }
      UNSYNCED.computeIfAbsent(dir, d -> new java.util.concurrent.ConcurrentHashMap<>()).put(n, r);
    });
    return r;
  }

  /**
   * Copies {@code length} bytes of {@code src} from {@code offset} to {@code out} at {@code at}, block by
   * block, leaving holes where the source reads zeros and the target already does (a sparse file stays
   * sparse in the store, as on the local disk it came from).
   */
  static void copySparse(Path src, long offset, long length, FileChannel out, Path outPath, long at)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(org.streamfs.model.Zeros.BLOCK);
    try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
      long done = 0;
      while (done < length) {
        // a hole of the source is skipped without reading it (a 1 GB sparse object is mostly holes)
        long data = Holes.firstData(src, offset + done, length - done);
        long hole = data == Holes.NONE ? length - done : data == Holes.UNKNOWN ? 0 : data - offset - done;
        if (hole > 0) {
          if (!holeOrZeros(out, outPath, at + done, hole)) {
            writeZeros(out, at + done, hole);
          }
          done += hole;
          continue;
        }
        buf.clear().limit((int) Math.min(buf.capacity(), length - done));
        while (buf.hasRemaining()) {
          if (in.read(buf, offset + done + buf.position()) < 0) {
            throw new IOException("short read from " + src + " at " + (offset + done + buf.position()));
          }
        }
        buf.flip();
        int len = buf.remaining();
        if (!org.streamfs.model.Zeros.isZero(buf) || !holeOrZeros(out, outPath, at + done, len)) {
          while (buf.hasRemaining()) {
            out.write(buf, at + done + buf.position());
          }
        }
        done += len;
      }
    }
    extendTo(out, at + length);
  }

  private static void writeZeros(FileChannel ch, long at, long length) throws IOException {
    ByteBuffer z = ByteBuffer.allocate((int) Math.min(length, org.streamfs.model.Zeros.BLOCK));
    for (long done = 0; done < length; ) {
      z.clear().limit((int) Math.min(z.capacity(), length - done));
      while (z.hasRemaining()) {
        done += ch.write(z, at + done);
      }
    }
  }

  /**
   * Whether {@code ch} (the file at {@code path}) reads only zeros in [at, at+len) (past its end counts as
   * zeros); holes are found without reading them.
   */
  private static boolean holeOrZeros(FileChannel ch, Path path, long at, long len) throws IOException {
    long size = ch.size();
    if (at >= size) {
      return true;
    }
    long end = Math.min(at + len, size);
    long data = Holes.firstData(path, at, end - at);
    if (data == Holes.NONE) {
      return true;
    }
    if (data > at) {
      at = data;
    }
    ByteBuffer b = ByteBuffer.allocateDirect((int) Math.min(org.streamfs.model.Zeros.BLOCK, end - at));
    long done = 0;
    while (at + done < end) {
      b.clear().limit((int) Math.min(b.capacity(), end - at - done));
      int r = ch.read(b, at + done);
      if (r <= 0) {
        return true;
      }
      b.flip();
      if (!org.streamfs.model.Zeros.isZero(b)) {
        return false;
      }
      done += r;
    }
    return true;
  }

  /** Makes the file at least {@code end} bytes long (a skipped hole at its end must still count). */
  private static void extendTo(FileChannel ch, long end) throws IOException {
    if (end > 0 && ch.size() < end) {
      ch.write(ByteBuffer.allocate(1), end - 1);
    }
  }

  /** Puts {@code size} bytes at the start of part n's slot. */
  private interface SlotFiller {
    void fill(FileChannel ch, long at) throws IOException;
  }

  /**
   * Replaces part n: its old receipt and separate file go first, then {@code filler} writes the slot, the
   * slab is fsynced and the new receipt recorded.
   */
  private static PartReceipt fill(Path dir, int n, long slot, String hex, long size, SlotFiller filler)
      throws IOException {
    forget(dir, n);
    Files.deleteIfExists(dir.resolve(LocalUploads.partName(n)));
    writing(dir, slot, () -> {
      try (FileChannel ch = FileChannel.open(file(dir), StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        filler.fill(ch, (long) (n - 1) * slot);
        ch.force(true);
      }
      // recorded under the lock too: a failed write's cut-back must never clip a part written but not yet
      // recorded
      record(dir, n, hex, size);
    });
    return new PartReceipt(n, size, hex, hex);
  }

  /**
   * Slot writes in progress or waiting in this process, by upload directory, and the lock they take turns
   * on. One slab is written and fsynced by one thread at a time: measured here (ext4, 2 cores), four
   * threads writing 8 MiB parts into one file with an fsync after each spent 3.4 s of CPU per GiB, spinning
   * on the inode's lock, against 0.34 s for the same writes one at a time, which also finished sooner
   * (0.7 s against 2.8 s). The parts still travel in parallel up to here (hashing, checks).
   */
  private static final Map<Path, SlabTurns> ACTIVE = new HashMap<>();

  /** The lock one upload's slot writes take turns on, and how many are using it (guarded by ACTIVE). */
  private static final class SlabTurns {
    int users;
  }

  private interface SlotWrite {
    void run() throws IOException;
  }

  /**
   * Runs a slot write under the slab's lock. If it fails (a full disk, typically), the slab is cut back to
   * the end of its recorded parts, so the blocks the failed write took are given back at once, as a
   * failed separate part file is deleted.
   */
  private static void writing(Path dir, long slot, SlotWrite write) throws IOException {
    SlabTurns turns;
    synchronized (ACTIVE) {
      turns = ACTIVE.computeIfAbsent(dir, d -> new SlabTurns());
      turns.users++;
    }
    try {
      synchronized (turns) {
        try {
          write.run();
        } catch (IOException | RuntimeException e) {
          try (FileChannel ch = FileChannel.open(file(dir), StandardOpenOption.WRITE)) {
            long end = 0;
            for (PartReceipt r : parts(dir)) {
              end = Math.max(end, (long) (r.partNumber() - 1) * slot + r.size());
            }
            ch.truncate(end);
          } catch (IOException cut) {
            e.addSuppressed(cut);
          }
          throw e;
        }
      }
    } finally {
      synchronized (ACTIVE) {
        if (--turns.users == 0) {
          ACTIVE.remove(dir);
        }
      }
    }
  }

  private static void record(Path dir, int n, String hex, long size) throws IOException {
    Path tmp = dir.resolve(slotName(n) + "." + UUID.randomUUID().toString().replace("-", ""));
    try {
      Files.writeString(tmp, hex + " " + size, StandardCharsets.US_ASCII);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, dir.resolve(slotName(n)), StandardCopyOption.ATOMIC_MOVE);
      LocalPaths.fsyncDir(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Turns the slab into the object's bytes: parts 1..k, where 1..k-1 are slab parts and part k is a slab
   * part or the separate file {@code lastFile} of {@code lastSize} bytes. All slot receipts are removed
   * first (from then on nothing claims the slab's bytes, so a crash or a failed publish makes a resume
   * send the parts again instead of trusting a truncated slab); then the last part is appended if it is a
   * file, the slab truncated to the object's size, fsynced and moved to {@code temp}.
   */
  static void seal(Path dir, int k, Path lastFile, long lastSize, long slot, Path temp) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (SLOT.matcher(p.getFileName().toString()).matches()) {
          Files.delete(p);
        }
      }
    }
    LocalPaths.fsyncDir(dir);
    forgetAll(dir);
    long base = (long) (k - 1) * slot;
    try (FileChannel out = FileChannel.open(file(dir), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      if (lastFile != null) {
        out.position(base);
        LocalPaths.append(out, lastFile, 0, lastSize);
      }
      out.truncate(base + lastSize);
      out.force(true);
    }
    Files.move(file(dir), temp, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The receipts of the slab parts (unsorted). */
  static List<PartReceipt> parts(Path dir) throws IOException {
    List<PartReceipt> out = new ArrayList<>(UNSYNCED.getOrDefault(dir, Map.of()).values());
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        var m = SLOT.matcher(p.getFileName().toString());
        if (m.matches()) {
          String[] f = Files.readString(p, StandardCharsets.US_ASCII).trim().split(" ");
          out.add(new PartReceipt(Integer.parseInt(m.group(1)), Long.parseLong(f[1]), f[0], f[0]));
        }
      }
    }
    return out;
  }
}

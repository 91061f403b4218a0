package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.apache.commons.codec.binary.Hex;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random operation sequences through a real mount, checked against a plain directory after every
 * step (in the style of Mountpoint's reference tests): open/create, close, pwrite (mostly near the end,
 * sometimes sparse up to 1 GiB), ftruncate, truncate by path, pread, fsync, reopen, rename, unlink,
 * mkdir, rmdir and dropped kernel caches, over several files with several handles open at once. The mount
 * runs with a small --max-dirty (so back-pressure and pushes of open files' chunks happen all the time),
 * slow part uploads and every 7th part upload or copy failing transiently. Any errno, any byte or size
 * that differs, or a FUSE call the daemon's watchdog reports as stuck fails the test with the seed and the
 * step; {@code -Dstreamfs.model.seed=N -Dstreamfs.model.steps=M} replays one seed.
 */
class MountModelIT {
  private static final long MIB = 1 << 20;

  static List<Long> seeds() {
    String one = System.getProperty("streamfs.model.seed");
    return one != null ? List.of(Long.parseLong(one)) : List.of(1L, 2L, 3L);
  }

  /** An open file: the same path opened on the mount and in the model. */
  private record Handle(String name, RandomAccessFile mntFile, RandomAccessFile modelFile) {
    FileChannel mnt() {
      return mntFile.getChannel();
    }

    FileChannel model() {
      return modelFile.getChannel();
    }

    void close() throws IOException {
      mntFile.close();
      modelFile.close();
    }
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void randomOperationsMatchAPlainDirectory(long seed, @TempDir Path root) throws Exception {
    int steps = Integer.getInteger("streamfs.model.steps", 700);
    Path model = Files.createDirectories(root.resolve("model"));
    List<Handle> open = new ArrayList<>();
    String[] last = {"(none)"};
    try (Mounted m = new Mounted(root, "--chunk-size", "2M", "--max-dirty", "8M", "--parallel", "1")
        .withEnv("STREAMFS_TEST_PART_LATENCY_MS", "30").withEnv("STREAMFS_TEST_PART_FAILURES", "7")
        .withEnv("STREAMFS_TEST_RETRY_DELAY_MS", "20").start()) {
      Random r = new Random(seed);
      for (int step = 0; step < steps; step++) {
        String at = "seed " + seed + " step " + step;
        try {
          last[0] = step(r, m, model, open);
          if (step % 100 == 99) {
            compareTrees(m.mnt, model, at);
          }
        } catch (Exception | AssertionError e) {
          String log = m.log();
          throw new AssertionError(at + " (" + last[0] + "): " + e + "\ndaemon log (end):\n"
              + log.substring(Math.max(0, log.length() - 6_000)), e);
        }
      }
      for (Handle h : open) {
        h.close();
      }
      open.clear();
      compareTrees(m.mnt, model, "seed " + seed + " at the end");
      assertEquals(0, m.cli("sync", m.mnt.toString()).code(), "sync");
      compareTrees(m.store, model, "seed " + seed + ": the store after sync");
    } finally {
      for (Handle h : open) {
        try {
          h.close();
        } catch (IOException e) {
          // the failure that brought us here is the one to report
        }
      }
    }
  }

  private static final String[] NAMES = {"a", "b", "c", "d", "e", "d0/f", "d0/g", "d1/h"};
  private static final String[] DIRS = {"d0", "d1", "d2"};

  /** One random operation on both trees; returns what it did (for the failure message). */
  private static String step(Random r, Mounted m, Path model, List<Handle> open) throws Exception {
    Path mnt = m.mnt;
    int op = r.nextInt(100);
    if (op < 12 && open.size() < 4) {
      String n = NAMES[r.nextInt(NAMES.length)];
      Path parent = model.resolve(n).getParent();
      if (!Files.isDirectory(parent)) {
        Files.createDirectories(mnt.resolve(n).getParent());
        Files.createDirectories(parent);
      }
      boolean trunc = r.nextInt(5) == 0;
      Handle h = new Handle(n, new RandomAccessFile(mnt.resolve(n).toFile(), "rw"),
          new RandomAccessFile(model.resolve(n).toFile(), "rw"));
      open.add(h);
      if (trunc) {
        h.mntFile.setLength(0);
        h.modelFile.setLength(0);
      }
      return "open " + n + (trunc ? " + ftruncate 0" : "");
    }
    if (op < 20 && !open.isEmpty()) {
      Handle h = open.remove(r.nextInt(open.size()));
      h.close();
      return "close " + h.name;
    }
    if (op < 75 && !open.isEmpty()) {
      Handle h = open.get(r.nextInt(open.size()));
      long size = h.model().size();
      int kind = r.nextInt(100);
      if (kind < 50) {
        long off = r.nextInt(100) == 0 ? (long) (r.nextDouble() * 1024 * MIB)
            : (long) (r.nextDouble() * Math.min(size + 2 * MIB, 64 * MIB));
        byte[] data = new byte[1 + r.nextInt((int) (r.nextBoolean() ? 64 << 10 : 5 * MIB))];
        r.nextBytes(data);
        writeFully(h.mnt(), data, off);
        writeFully(h.model(), data, off);
        assertEquals(h.model().size(), h.mnt().size(), "size after pwrite");
        return "pwrite " + h.name + " " + off + "+" + data.length;
      }
      if (kind < 62) {
        long to = r.nextInt(60) == 0 ? (long) (r.nextDouble() * 1024 * MIB) : (long) (r.nextDouble() * size * 1.3);
        h.mntFile.setLength(to);
        h.modelFile.setLength(to);
        assertEquals(to, h.mnt().size(), "size after ftruncate");
        return "ftruncate " + h.name + " " + to;
      }
      if (kind < 90) {
        long off = (long) (r.nextDouble() * (size + MIB));
        int len = 1 + r.nextInt((int) (3 * MIB));
        assertArrayEquals(read(h.model(), off, len), read(h.mnt(), off, len), "pread " + h.name + " " + off + "+" + len);
        return "pread " + h.name + " " + off + "+" + len;
      }
      h.mnt().force(true);
      h.model().force(true);
      return "fsync " + h.name;
    }
    if (op < 80) {
      String n = NAMES[r.nextInt(NAMES.length)];
      if (!Files.isRegularFile(model.resolve(n))) {
        return "skip truncate";
      }
      long to = (long) (r.nextDouble() * Files.size(model.resolve(n)) * 1.2);
      m.sh("truncate -s " + to + " " + mnt.resolve(n));
      try (RandomAccessFile b = new RandomAccessFile(model.resolve(n).toFile(), "rw")) {
        b.setLength(to);
      }
      return "truncate " + n + " " + to;
    }
    if (op < 86) {
      String n = NAMES[r.nextInt(NAMES.length)];
      if (!Files.isRegularFile(model.resolve(n))) {
        return "skip read";
      }
      assertEquals(sha(model.resolve(n)), sha(mnt.resolve(n)), "whole content of " + n);
      return "read whole " + n;
    }
    if (op < 90) {
      String from = NAMES[r.nextInt(NAMES.length)];
      String to = NAMES[r.nextInt(NAMES.length)];
      if (from.equals(to) || !Files.isRegularFile(model.resolve(from)) || !Files.isDirectory(model.resolve(to).getParent())
          || Files.isDirectory(model.resolve(to))) {
        return "skip rename";
      }
      Files.move(mnt.resolve(from), mnt.resolve(to), StandardCopyOption.REPLACE_EXISTING);
      Files.move(model.resolve(from), model.resolve(to), StandardCopyOption.REPLACE_EXISTING);
      for (int i = 0; i < open.size(); i++) {
        Handle h = open.get(i);
        if (h.name.equals(to)) {
          // the replaced file stays open but has no name any more: stop using it
          h.close();
          open.remove(i--);
        } else if (h.name.equals(from)) {
          open.set(i, new Handle(to, h.mntFile, h.modelFile));
        }
      }
      return "rename " + from + " " + to;
    }
    if (op < 94) {
      String n = NAMES[r.nextInt(NAMES.length)];
      if (!Files.isRegularFile(model.resolve(n)) || open.stream().anyMatch(h -> h.name.equals(n))) {
        return "skip unlink";
      }
      Files.delete(mnt.resolve(n));
      Files.delete(model.resolve(n));
      return "unlink " + n;
    }
    if (op < 97) {
      String d = DIRS[r.nextInt(DIRS.length)];
      if (Files.exists(model.resolve(d))) {
        boolean empty;
        try (var s = Files.list(model.resolve(d))) {
          empty = s.findAny().isEmpty();
        }
        if (!empty) {
          expectFailure(() -> Files.delete(mnt.resolve(d)), "rmdir of non-empty " + d);
          return "rmdir non-empty " + d;
        }
        Files.delete(mnt.resolve(d));
        Files.delete(model.resolve(d));
        return "rmdir " + d;
      }
      Files.createDirectory(mnt.resolve(d));
      Files.createDirectory(model.resolve(d));
      return "mkdir " + d;
    }
    if (r.nextBoolean()) {
      Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
      return "drop caches";
    }
    if (!open.isEmpty()) {
      Handle h = open.get(r.nextInt(open.size()));
      assertEquals(h.model().size(), Files.size(mnt.resolve(h.name)), "stat size of open " + h.name);
      return "stat " + h.name;
    }
    return "nothing";
  }

  private interface Io {
    void run() throws IOException;
  }

  private static void expectFailure(Io io, String what) {
    try {
      io.run();
      fail(what + " succeeded");
    } catch (IOException expected) {
      // as in the model
    }
  }

  private static void writeFully(FileChannel ch, byte[] data, long off) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      ch.write(b, off + b.position());
    }
  }

  private static byte[] read(FileChannel ch, long off, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining()) {
      int n = ch.read(b, off + b.position());
      if (n < 0) {
        break;
      }
    }
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  private static String sha(Path p) throws IOException {
    MessageDigest md = org.streamfs.model.Sha256.newDigest();
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(1 << 20);
      while (ch.read(b.clear()) > 0) {
        md.update(b.flip());
      }
    }
    return Hex.encodeHexString(md.digest());
  }

  /** Every file and directory under {@code model} exists under {@code actual} with the same bytes, and no more. */
  private static void compareTrees(Path actual, Path model, String at) throws IOException {
    TreeSet<String> want = listing(model);
    TreeSet<String> got = listing(actual);
    got.removeIf(s -> s.startsWith(".streamfs"));
    assertEquals(want, got, at + ": listing");
    for (String s : want) {
      if (!s.endsWith("/")) {
        assertEquals(sha(model.resolve(s)), sha(actual.resolve(s)), at + ": content of " + s);
      }
    }
  }

  private static TreeSet<String> listing(Path dir) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    try (var s = Files.walk(dir)) {
      s.filter(p -> !p.equals(dir)).forEach(p -> out.add(dir.relativize(p) + (Files.isDirectory(p) ? "/" : "")));
    } catch (java.io.UncheckedIOException e) {
      if (!(e.getCause() instanceof NoSuchFileException)) {
        throw e;
      }
    }
    return out;
  }
}

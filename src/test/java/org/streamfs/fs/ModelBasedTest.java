package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random operation sequences (create, write at random offsets, truncate, rename, unlink, fsync,
 * reopen) applied both to {@link StreamFs} and to a plain directory; after every step the file touched
 * (and every 25 steps all files) read through the fs, and at the end the store's objects, must equal the plain directory. Chunks are 32 bytes
 * so that every operation crosses chunk boundaries. A failing seed is printed with the step.
 */
class ModelBasedTest {
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void randomOperationsMatchAPlainDirectory(long seed, @org.junit.jupiter.api.io.TempDir Path root)
      throws Exception {
    Path model = Files.createDirectories(root.resolve("model"));
    Random r = new Random(seed);
    try (FsFixture f = new FsFixture(root, 32, 1 << 20)) {
      StreamFs fs = f.fs;
      List<String> names = new ArrayList<>();
      for (int step = 0; step < 100; step++) {
        String what = "seed " + seed + " step " + step;
        int op = r.nextInt(10);
        if (names.isEmpty() || op == 0) {
          String n = "f" + r.nextInt(1000);
          if (!names.contains(n)) {
            names.add(n);
            f.put("/" + n, new byte[0]);
            Files.write(model.resolve(n), new byte[0]);
          }
          continue;
        }
        String n = names.get(r.nextInt(names.size()));
        Path p = model.resolve(n);
        switch (op) {
          case 1, 2, 3, 4 -> {
            int off = r.nextInt(400);
            byte[] data = new byte[1 + r.nextInt(90)];
            r.nextBytes(data);
            long fh = fs.open("/" + n, 2);
            fs.write(fh, off, ByteBuffer.wrap(data));
            if (r.nextInt(8) == 0) {
              fs.fsync(fh);
            }
            fs.flush(fh);
            fs.release(fh);
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
              raf.seek(off);
              raf.write(data);
            }
          }
          case 5 -> {
            long size = r.nextInt(450);
            fs.truncate("/" + n, size);
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
              raf.setLength(size);
            }
          }
          case 6 -> {
            String to = "f" + r.nextInt(1000);
            if (!to.equals(n)) {
              fs.rename("/" + n, "/" + to);
              Files.move(p, model.resolve(to), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
              names.remove(n);
              names.remove(to);
              names.add(to);
            }
          }
          case 7 -> {
            fs.unlink("/" + n);
            Files.delete(p);
            names.remove(n);
          }
          default -> {
            long fh = fs.open("/" + n, 2);
            byte[] data = new byte[1 + r.nextInt(40)];
            r.nextBytes(data);
            long off = Files.size(p);
            fs.write(fh, off, ByteBuffer.wrap(data));
            fs.release(fh);
            Files.write(p, data, java.nio.file.StandardOpenOption.APPEND);
          }
        }
        for (String m : names) {
          if (m.equals(n) || step % 25 == 0) {
            assertArrayEquals(Files.readAllBytes(model.resolve(m)), f.get("/" + m), what + " file " + m);
          }
        }
      }
      f.sync();
      assertEquals(names.stream().sorted().toList(), fs.readdir("/").stream().sorted().toList());
      for (String m : names) {
        assertArrayEquals(Files.readAllBytes(model.resolve(m)), Files.readAllBytes(f.storeDir.resolve(m)),
            "seed " + seed + ": store object " + m);
      }
      try (Stream<Path> s = Files.list(f.storeDir)) {
        assertEquals(names.size(), s.filter(x -> !x.getFileName().toString().startsWith(".")).count());
      }
    } catch (IOException e) {
      throw new AssertionError("seed " + seed + ": " + e, e);
    }
  }
}

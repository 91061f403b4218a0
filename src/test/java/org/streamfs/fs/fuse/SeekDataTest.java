package org.streamfs.fs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeekDataTest {
  private static final long MIB = 1 << 20;

  @Test
  void findsDataBetweenHoles(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("sparse");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 5 * MIB + 7);
      ch.write(ByteBuffer.wrap(new byte[] {1}), 64 * MIB - 1);
    }
    long first = SeekData.firstData(f, 0, 64 * MIB);
    assumeTrue(first != SeekData.UNKNOWN && first != 0, "this filesystem does not report holes");
    // the data block holding 5 MiB + 7 starts at or before it, never after
    assertEquals(true, first <= 5 * MIB + 7 && first >= 4 * MIB, "first data at " + first);
    assertEquals(SeekData.NONE, SeekData.firstData(f, 0, 4 * MIB));
    assertEquals(SeekData.NONE, SeekData.firstData(f, 8 * MIB, 40 * MIB));
    long last = SeekData.firstData(f, 8 * MIB, 56 * MIB);
    assertEquals(true, last > 8 * MIB && last <= 64 * MIB - 1, "last data at " + last);
    assertEquals(SeekData.NONE, SeekData.firstData(f, 64 * MIB, 10 * MIB), "past the end");
    assertEquals(SeekData.UNKNOWN, SeekData.firstData(dir.resolve("absent"), 0, MIB));
  }
}

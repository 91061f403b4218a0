package org.streamfs.transfer.codec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.streamfs.model.ChunkLayout;

/**
 * Test helper: seals a whole byte array into a sealed object in memory (parts in order, then the final
 * index part), records the part boundaries, reads it back through a counting {@link RangeReader}, and
 * generates text-like and random data.
 */
final class Sealed {
  final byte[] object;
  final List<Long> partOffsets;
  final List<SealedFrame> frames;
  final ObjectCodec codec;

  private Sealed(byte[] object, List<Long> partOffsets, List<SealedFrame> frames, ObjectCodec codec) {
    this.object = object;
    this.partOffsets = partOffsets;
    this.frames = frames;
    this.codec = codec;
  }

  static Sealed seal(CodecOptions opts, long chunkSize, long minPartSize, byte[] data) {
    return seal(ObjectCodec.create(opts, chunkSize, minPartSize), data);
  }

  static Sealed seal(ObjectCodec codec, byte[] data) {
    ChunkLayout layout = new ChunkLayout(data.length, codec.chunkSize());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<FrameInfo> infos = new ArrayList<>();
    List<SealedFrame> frames = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < layout.chunkCount(); i++) {
      SealedFrame f = codec.sealChunk(i, ByteBuffer.wrap(data, (int) layout.offset(i), (int) layout.size(i)));
      offsets.add((long) out.size());
      byte[] b = new byte[f.part().remaining()];
      f.part().duplicate().get(b);
      out.writeBytes(b);
      infos.add(f.info());
      frames.add(f);
    }
    ByteBuffer fin = codec.finish(data.length, infos);
    offsets.add((long) out.size());
    byte[] b = new byte[fin.remaining()];
    fin.get(b);
    out.writeBytes(b);
    return new Sealed(out.toByteArray(), offsets, frames, codec);
  }

  /** Counts reads and bytes read. */
  static final class Counting implements RangeReader {
    final byte[] object;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicLong bytes = new AtomicLong();

    Counting(byte[] object) {
      this.object = object;
    }

    @Override
    public byte[] read(long offset, int length) {
      reads.incrementAndGet();
      int from = (int) Math.min(offset, object.length);
      int to = (int) Math.min((long) object.length, offset + length);
      bytes.addAndGet(to - from);
      return java.util.Arrays.copyOfRange(object, from, to);
    }
  }

  static SealedReader open(byte[] object, KeyMaterial key) throws java.io.IOException {
    return SealedReader.open("test/object", object.length, new Counting(object), key);
  }

  /** Reads every chunk and concatenates them. */
  static byte[] readAll(SealedReader r) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < r.chunkCount(); i++) {
      ByteBuffer c = r.readChunk(i);
      byte[] b = new byte[c.remaining()];
      c.get(b);
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  /** Generated JSON-lines/CSV-like text: compressible, not trivially so. */
  static byte[] text(int size, long seed) {
    Random r = new Random(seed);
    String[] words = {"alpha", "beta", "gamma", "delta", "invoice", "customer", "amount", "status", "open",
        "closed", "pending", "Berlin", "Hamburg", "München", "2024-05-01", "true", "false", "null"};
    StringBuilder sb = new StringBuilder(size + 200);
    int id = 0;
    while (sb.length() < size) {
      if (r.nextBoolean()) {
        sb.append("{\"id\":").append(id++).append(",\"name\":\"").append(words[r.nextInt(words.length)])
            .append(' ').append(words[r.nextInt(words.length)]).append("\",\"amount\":")
            .append(r.nextInt(100000) / 100.0).append(",\"tags\":[\"").append(words[r.nextInt(words.length)])
            .append("\"]}\n");
      } else {
        sb.append(id++).append(',').append(words[r.nextInt(words.length)]).append(',')
            .append(r.nextInt(1_000_000)).append(',').append(words[r.nextInt(words.length)]).append('\n');
      }
    }
    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.copyOf(b, size);
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static KeyMaterial key(long seed) {
    return KeyMaterial.ofKey(random(32, seed));
  }
}

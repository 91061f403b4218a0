package org.streamfs.testing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.streamfs.store.Expect;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.PartReceipt;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.middleware.StoreCall;
import org.streamfs.store.middleware.StoreDecorator;
import org.streamfs.store.middleware.StoreOp;

/**
 * Fault injection by wrapping a real store (STYLE.md: never by mocking internals). Rules match calls by a
 * {@link Call} predicate (operation, key, part number, and {@code nth}, the 1-based count of that operation
 * including this call) and fire a limited or unlimited number of times: fail before the store sees the call,
 * fail after it ran (the reply was "lost"), add latency, flip a byte of the data {@code uploadPart}/{@code put}
 * pass on (the store's checksum check then answers CHECKSUM, or a put stores wrong bytes), flip the first byte
 * of a stream {@code read} returns, or cut that stream short. Counters record every call and the bytes handed
 * to {@code uploadPart}, so a test can assert how much was re-sent.
 */
public final class FaultyStore extends StoreDecorator {

  /** One call as rules see it; {@code partNumber} is 0 except for uploadPart and copyPart. */
  public record Call(StoreOp op, String key, int partNumber, long nth) {}

  private enum Action { FAIL, FAIL_AFTER, DELAY, CORRUPT_UPLOAD, CORRUPT_READ, TRUNCATE_READ }

  private record Rule(Predicate<Call> when, Action action, Kind kind, Duration delay, long keep,
      AtomicInteger remaining) {
    boolean fire(Call c) {
      if (!when.test(c)) {
        return false;
      }
      while (true) {
        int r = remaining.get();
        if (r == 0) {
          return false;
        }
        if (r < 0 || remaining.compareAndSet(r, r - 1)) {
          return true;
        }
      }
    }
  }

  private final Map<StoreOp, AtomicLong> counts = new EnumMap<>(StoreOp.class);
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final AtomicLong injected = new AtomicLong();
  private final AtomicLong bytesUploaded = new AtomicLong();

  public FaultyStore(ObjectStore delegate) {
    super(delegate);
    for (StoreOp op : StoreOp.values()) {
      counts.put(op, new AtomicLong());
    }
  }

  // ---------------------------------------------------------------- predicates

  public static Predicate<Call> on(StoreOp op) {
    return c -> c.op() == op;
  }

  public static Predicate<Call> part(int partNumber) {
    return c -> c.op() == StoreOp.UPLOAD_PART && c.partNumber() == partNumber;
  }

  public static Predicate<Call> nth(StoreOp op, long n) {
    return c -> c.op() == op && c.nth() == n;
  }

  // ---------------------------------------------------------------- rules

  /** The {@code n}th call (1-based) of {@code op} fails with {@code kind} before reaching the store. */
  public FaultyStore failNth(StoreOp op, long n, Kind kind) {
    return add(nth(op, n), Action.FAIL, kind, null, 0, 1);
  }

  /** Every matching call fails with {@code kind} before reaching the store. */
  public FaultyStore failAlways(Predicate<Call> when, Kind kind) {
    return add(when, Action.FAIL, kind, null, 0, -1);
  }

  /** The next {@code times} matching calls fail with {@code kind} before reaching the store. */
  public FaultyStore failTimes(Predicate<Call> when, int times, Kind kind) {
    return add(when, Action.FAIL, kind, null, 0, times);
  }

  /** The next {@code times} matching calls reach the store, then fail with {@code kind} (a lost reply). */
  public FaultyStore failAfter(Predicate<Call> when, int times, Kind kind) {
    return add(when, Action.FAIL_AFTER, kind, null, 0, times);
  }

  /** Every matching call sleeps {@code d} first (interruptible: an interrupt fails it TRANSIENT). */
  public FaultyStore delay(Predicate<Call> when, Duration d) {
    return add(when, Action.DELAY, null, d, 0, -1);
  }

  /** The next {@code times} matching calls sleep {@code d} first. */
  public FaultyStore delayTimes(Predicate<Call> when, int times, Duration d) {
    return add(when, Action.DELAY, null, d, 0, times);
  }

  /** The next {@code times} matching uploadPart/put calls pass on their data with one byte flipped. */
  public FaultyStore corruptUploads(Predicate<Call> when, int times) {
    return add(when, Action.CORRUPT_UPLOAD, null, null, 0, times);
  }

  /** The next {@code times} matching reads return a stream whose first byte is flipped. */
  public FaultyStore corruptReads(Predicate<Call> when, int times) {
    return add(when, Action.CORRUPT_READ, null, null, 0, times);
  }

  /** The next {@code times} matching reads return a stream that ends after {@code keep} bytes. */
  public FaultyStore truncateReads(Predicate<Call> when, int times, long keep) {
    return add(when, Action.TRUNCATE_READ, null, null, keep, times);
  }

  /** Removes every rule (counters stay). */
  public void clearFaults() {
    rules.clear();
  }

  private FaultyStore add(Predicate<Call> when, Action a, Kind kind, Duration d, long keep, int times) {
    rules.add(new Rule(when, a, kind, d, keep, new AtomicInteger(times)));
    return this;
  }

  // ---------------------------------------------------------------- counters

  /** Calls of {@code op} so far, including failed ones. */
  public long calls(StoreOp op) {
    return counts.get(op).get();
  }

  /** Failures this wrapper injected. */
  public long injectedFailures() {
    return injected.get();
  }

  /** Bytes handed to uploadPart (including calls that then failed). */
  public long bytesUploaded() {
    return bytesUploaded.get();
  }

  // ---------------------------------------------------------------- interception

  /** Delays first, then failures (the first that fires throws), then the rules that act on the data. */
  private List<Rule> enter(Call c) throws StoreException {
    for (Rule r : rules) {
      if (r.action == Action.DELAY && r.fire(c)) {
        try {
          Thread.sleep(r.delay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StoreException(Kind.TRANSIENT, c.key(), "interrupted during injected delay", e);
        }
      }
    }
    for (Rule r : rules) {
      if (r.action == Action.FAIL && r.fire(c)) {
        throw injected(c, r, "before the store");
      }
    }
    List<Rule> fired = new ArrayList<>();
    for (Rule r : rules) {
      if (r.action != Action.DELAY && r.action != Action.FAIL && r.fire(c)) {
        fired.add(r);
      }
    }
    return fired;
  }

  private StoreException injected(Call c, Rule r, String where) {
    injected.incrementAndGet();
    return new StoreException(r.kind, c.key(), "injected " + r.kind + " fault " + where + " in "
        + c.op().method() + " call #" + c.nth());
  }

  private Call call(StoreOp op, String key, int part) {
    return new Call(op, key, part, counts.get(op).incrementAndGet());
  }

  private <T> T finish(Call c, List<Rule> fired, T result) throws StoreException {
    for (Rule r : fired) {
      if (r.action == Action.FAIL_AFTER) {
        if (result instanceof InputStream in) {
          try {
            in.close();
          } catch (IOException ignored) {
            // discarded anyway
          }
        }
        throw injected(c, r, "after the store ran");
      }
    }
    return result;
  }

  private static boolean has(List<Rule> fired, Action a) {
    return fired.stream().anyMatch(r -> r.action == a);
  }

  @Override
  protected <T> T around(StoreOp op, String key, StoreCall<T> call) throws StoreException {
    Call c = call(op, key, 0);
    List<Rule> fired = enter(c);
    return finish(c, fired, call.call());
  }

  @Override
  public PartReceipt uploadPart(String key, String uploadId, int partNumber, ByteBuffer data, byte[] sha256)
      throws StoreException {
    Call c = call(StoreOp.UPLOAD_PART, key, partNumber);
    bytesUploaded.addAndGet(data.remaining());
    List<Rule> fired = enter(c);
    ByteBuffer sent = data;
    if (has(fired, Action.CORRUPT_UPLOAD) && data.hasRemaining()) {
      ByteBuffer copy = ByteBuffer.allocate(data.remaining());
      copy.put(data.duplicate()).flip();
      int at = copy.limit() / 2;
      copy.put(at, (byte) (copy.get(at) ^ 0x01));
      sent = copy;
    }
    return finish(c, fired, delegate.uploadPart(key, uploadId, partNumber, sent, sha256));
  }

  @Override
  public PartReceipt copyPart(String key, String uploadId, int partNumber, String sourceKey,
      String sourceVersion, long offset, long length) throws StoreException {
    Call c = call(StoreOp.COPY_PART, key, partNumber);
    List<Rule> fired = enter(c);
    return finish(c, fired,
        delegate.copyPart(key, uploadId, partNumber, sourceKey, sourceVersion, offset, length));
  }

  @Override
  public ObjectInfo put(String key, byte[] data, Map<String, String> metadata, Expect expect)
      throws StoreException {
    Call c = call(StoreOp.PUT, key, 0);
    List<Rule> fired = enter(c);
    byte[] sent = data;
    if (has(fired, Action.CORRUPT_UPLOAD) && data.length > 0) {
      sent = data.clone();
      sent[sent.length / 2] ^= 0x01;
    }
    return finish(c, fired, delegate.put(key, sent, metadata, expect));
  }

  @Override
  public InputStream read(String key, long offset, long length, String ifVersion) throws StoreException {
    Call c = call(StoreOp.READ, key, 0);
    List<Rule> fired = enter(c);
    InputStream in = finish(c, fired, delegate.read(key, offset, length, ifVersion));
    for (Rule r : fired) {
      if (r.action == Action.TRUNCATE_READ) {
        in = new Mangled(in, r.keep, false);
      } else if (r.action == Action.CORRUPT_READ) {
        in = new Mangled(in, Long.MAX_VALUE, true);
      }
    }
    return in;
  }

  /** A stream cut after {@code keep} bytes and/or with its first byte flipped. */
  private static final class Mangled extends FilterInputStream {
    private long remaining;
    private boolean flip;

    Mangled(InputStream in, long keep, boolean flip) {
      super(in);
      this.remaining = keep;
      this.flip = flip;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
        if (flip) {
          b[off] ^= 0x01;
          flip = false;
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(n, 8192)];
      int r = read(buf, 0, buf.length);
      return Math.max(r, 0);
    }
  }
}

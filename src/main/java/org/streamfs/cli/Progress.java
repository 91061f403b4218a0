package org.streamfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.streamfs.model.StreamingOperation;
import org.streamfs.transfer.ProgressListener;

/**
 * Shows a long operation's progress to whoever runs it: a progress bar (percent, rate, ETA) on a terminal,
 * plain lines (at most one a second) when stderr is not a terminal, one JSON object per line with
 * {@code --json}. Fed by the engine's {@link ProgressListener}.
 */
final class Progress implements ProgressListener, AutoCloseable {
  enum Mode { BAR, LINES, JSON, QUIET }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Mode mode;
  private final String task;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private ProgressBar bar;
  private long lastLine;
  private long startBytes = -1;

  Progress(String task, boolean json, boolean quiet) {
    this.task = task;
    this.out = System.err;
    if (quiet) {
      mode = Mode.QUIET;
    } else if (json) {
      mode = Mode.JSON;
    } else if (System.console() != null && System.getenv("STREAMFS_PLAIN_PROGRESS") == null) {
      mode = Mode.BAR;
    } else {
      mode = Mode.LINES;
    }
  }

  @Override
  public synchronized void onProgress(double percent, StreamingOperation op) {
    long done = op.bytesCompleted();
    if (startBytes < 0) {
      startBytes = done;
    }
    switch (mode) {
      case QUIET -> { }
      case BAR -> {
        if (bar == null) {
          bar = new ProgressBarBuilder().setTaskName(task + " " + op.operationId())
              .setInitialMax(Math.max(1, op.totalSizeBytes())).setUnit("MiB", 1 << 20).showSpeed()
              .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out))
              .startsFrom(done, java.time.Duration.ZERO).build();
        }
        bar.stepTo(done);
      }
      case LINES -> {
        long now = System.nanoTime();
        if (percent >= 100.0 || now - lastLine > 1_000_000_000L || lastLine == 0) {
          lastLine = now;
          out.println(line(percent, op, now));
          out.flush();
        }
      }
      case JSON -> {
        ObjectNode n = JSON.createObjectNode();
        n.put("operation", op.operationId());
        n.put("task", task);
        n.put("status", op.status().value());
        n.put("percent", Math.round(percent * 10) / 10.0);
        n.put("chunks_completed", op.chunksCompleted());
        n.put("chunks_total", op.chunksTotal());
        n.put("bytes_completed", done);
        n.put("bytes_total", op.totalSizeBytes());
        n.put("rate_bytes_per_s", rate(done, System.nanoTime()));
        out.println(n.toString());
        out.flush();
      }
    }
  }

  private long rate(long done, long now) {
    double secs = (now - startNanos) / 1e9;
    return secs <= 0 ? 0 : (long) ((done - Math.max(0, startBytes)) / secs);
  }

  private String line(double percent, StreamingOperation op, long now) {
    long done = op.bytesCompleted();
    long r = rate(done, now);
    String eta = r <= 0 ? "?" : (op.totalSizeBytes() - done) / r + "s";
    return String.format(Locale.ROOT, "%s %s: %5.1f%% %d/%d chunks %s/%s %s/s ETA %s", task,
        op.operationId(), percent, op.chunksCompleted(), op.chunksTotal(), human(done),
        human(op.totalSizeBytes()), human(r), eta);
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    String[] u = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f%s", v, u[i]);
  }

  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}

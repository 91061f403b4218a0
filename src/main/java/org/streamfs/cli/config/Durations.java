package org.streamfs.cli.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads durations written the way systemd and humans write them: {@code 500ms}, {@code 90s}, {@code 5min},
 * {@code 2h}, {@code 1d}, or a bare number of seconds; several parts add up ({@code 1min30s}). Anything else is
 * refused with an {@link IllegalArgumentException} quoting the text.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+)\\s*(ms|min|sec|s|m|h|d)?\\s*");
  private static final String ACCEPTED = "expected a duration such as 500ms, 90s, 5min, 2h or 1d";

  private Durations() {}

  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty duration: " + ACCEPTED);
    }
    Matcher m = PART.matcher(text.trim());
    Duration total = Duration.ZERO;
    int at = 0;
    String s = text.trim();
    while (at < s.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException("'" + text + "' is not a duration: " + ACCEPTED);
      }
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is too large");
      }
      String unit = m.group(2) == null ? "s" : m.group(2);
      total = total.plus(switch (unit) {
        case "ms" -> Duration.ofMillis(n);
        case "s", "sec" -> Duration.ofSeconds(n);
        case "m", "min" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      });
      at = m.end();
    }
    return total;
  }

  /** systemd's notation for a duration, e.g. {@code 90s} or {@code 1500ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }
}

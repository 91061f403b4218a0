package org.streamfs.cli.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where byte sizes are read and written as text: {@code 4096}, {@code 512K}, {@code 10M},
 * {@code 1.5G}, {@code 2TiB}. Units are powers of 1024 (K, M, G, T, P), case-insensitive, optionally followed by
 * {@code B} or {@code iB}; a bare number or a number followed by {@code B} is bytes. A fraction is allowed when the
 * result is a whole number of bytes. Negative values, overflow and anything else are refused with an
 * {@link IllegalArgumentException} whose message quotes the text and says what is accepted.
 */
public final class Sizes {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmgtp])(?:i?b)?|b)?", Pattern.CASE_INSENSITIVE);
  private static final String UNITS = "KMGTP";
  private static final String ACCEPTED = "expected a size such as 4096, 512K, 10M, 1.5G or 2T (powers of 1024)";

  private Sizes() {}

  /** Parses a size; throws {@link IllegalArgumentException} naming the text and the accepted forms. */
  public static long parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty size: " + ACCEPTED);
    }
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size: " + ACCEPTED);
    }
    BigDecimal value = new BigDecimal(m.group(1));
    if (m.group(2) != null) {
      int power = UNITS.indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1;
      value = value.multiply(BigDecimal.valueOf(1024).pow(power));
    }
    if (value.stripTrailingZeros().scale() > 0) {
      throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
    }
    if (value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("'" + text + "' is too large (at most 8E)");
    }
    return value.longValueExact();
  }

  /** Parses a size and checks it lies in {@code [min, max]}; the message names both bounds. */
  public static long parse(String text, long min, long max) {
    long v = parse(text);
    if (v < min || v > max) {
      throw new IllegalArgumentException("'" + text + "' is out of range: must be between " + format(min)
          + " and " + format(max));
    }
    return v;
  }

  /** The shortest exact form: {@code 10M} for 10485760, {@code 1536K} for 1.5 MiB, {@code 1000} for 1000. */
  public static String format(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("negative size " + bytes);
    }
    int unit = 0;
    long v = bytes;
    while (v != 0 && v % 1024 == 0 && unit < UNITS.length()) {
      v /= 1024;
      unit++;
    }
    return unit == 0 ? Long.toString(v) : v + String.valueOf(UNITS.charAt(unit - 1));
  }
}

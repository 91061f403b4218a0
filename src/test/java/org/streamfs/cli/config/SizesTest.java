package org.streamfs.cli.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SizesTest {
  @Test
  void parsesPowersOf1024InAllSpellings() {
    assertEquals(4096, Sizes.parse("4096"));
    assertEquals(4096, Sizes.parse("4096B"));
    assertEquals(512 * 1024, Sizes.parse("512K"));
    assertEquals(10L << 20, Sizes.parse("10M"));
    assertEquals(10L << 20, Sizes.parse("10m"));
    assertEquals(10L << 20, Sizes.parse("10MiB"));
    assertEquals(10L << 20, Sizes.parse("10MB"));
    assertEquals(10L << 20, Sizes.parse(" 10 M "));
    assertEquals(3L << 29, Sizes.parse("1.5G"));
    assertEquals(2L << 40, Sizes.parse("2T"));
    assertEquals(1L << 50, Sizes.parse("1P"));
    assertEquals(0, Sizes.parse("0"));
  }

  @Test
  void refusesWhatIsNotAWholeSize() {
    for (String bad : new String[] {"", " ", "-1", "10Q", "M", "1.5", "0.3K", "1e6", "10 MB extra", "9999P"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad.isBlank() ? "empty" : bad), e.getMessage());
    }
  }

  @Test
  void rangeCheckNamesTheBounds() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Sizes.parse("6G", 0, 5L << 30));
    assertEquals("'6G' is out of range: must be between 0 and 5G", e.getMessage());
  }

  @Test
  void formatIsTheShortestExactForm() {
    assertEquals("10M", Sizes.format(10L << 20));
    assertEquals("1536K", Sizes.format(3L << 19));
    assertEquals("1000", Sizes.format(1000));
    assertEquals("0", Sizes.format(0));
    for (long v : new long[] {1, 1023, 1024, 5L << 30, 123456789L, Long.MAX_VALUE}) {
      assertEquals(v, Sizes.parse(Sizes.format(v)));
    }
  }

  @Test
  void durationsAddUpTheirParts() {
    assertEquals(Duration.ofSeconds(90), Durations.parse("90"));
    assertEquals(Duration.ofSeconds(90), Durations.parse("90s"));
    assertEquals(Duration.ofSeconds(90), Durations.parse("1min30s"));
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofHours(2), Durations.parse("2h"));
    assertEquals(Duration.ofDays(1), Durations.parse("1d"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("5 minutes"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse(""));
    assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
    assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
  }
}

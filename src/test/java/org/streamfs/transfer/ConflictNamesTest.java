package org.streamfs.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.streamfs.store.StoreKeys;

class ConflictNamesTest {
  private static final Instant T = Instant.parse("2026-01-05T14:30:07Z");

  @Test
  void theExtensionStaysLast() {
    assertEquals("docs/report.conflict-laptop-20260105T143007.txt",
        ConflictNames.copyKey("docs/report.txt", "laptop", T, 1));
    assertEquals("a.tar.conflict-laptop-20260105T143007.gz", ConflictNames.copyKey("a.tar.gz", "laptop", T, 1));
    assertEquals("Makefile.conflict-laptop-20260105T143007", ConflictNames.copyKey("Makefile", "laptop", T, 1));
    assertEquals(".bashrc.conflict-laptop-20260105T143007", ConflictNames.copyKey(".bashrc", "laptop", T, 1));
    assertEquals("x.conflict-laptop-20260105T143007-3.txt", ConflictNames.copyKey("x.txt", "laptop", T, 3));
  }

  @Test
  void theHostIsReducedToSafeCharacters() {
    assertEquals("x.conflict-a_b__c-20260105T143007", ConflictNames.copyKey("x", "a/b..c", T, 1));
    assertEquals("host", ConflictNames.sanitize(""));
    assertEquals(32, ConflictNames.sanitize("h".repeat(100)).length());
    String h = ConflictNames.shortHost();
    assertTrue(h.matches("[A-Za-z0-9_-]{1,32}"), h);
  }

  @Test
  void aLongNameIsShortenedToFitASegmentAndStaysAValidKey() throws Exception {
    String name = "é".repeat(120) + ".txt"; // 244 bytes: too long once the tag is added
    String k = ConflictNames.copyKey("dir/" + name, "laptop", T, 1);
    String seg = k.substring(4);
    assertTrue(seg.getBytes(StandardCharsets.UTF_8).length <= StoreKeys.MAX_SEGMENT_BYTES, seg);
    assertTrue(seg.endsWith(".conflict-laptop-20260105T143007.txt"), seg);
    StoreKeys.validate(k);
  }
}

package org.streamfs.fs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Only the binding package touches native code: no jnr (jnr-ffi, jnr-fuse, jffi) type anywhere else. */
class BindingBoundaryTest {
  private static final Pattern NATIVE = Pattern.compile("(?m)^import (static )?(jnr|ru\\.serce\\.jnrfuse|com\\.kenai)\\."
      + "|\\bjnr\\.ffi\\.|\\bru\\.serce\\.jnrfuse\\.");

  @Test
  void nativeTypesStayInTheBindingPackage() throws IOException {
    Path main = Path.of("src/main/java/org/streamfs");
    assertTrue(Files.isDirectory(main), "run from the project directory");
    List<String> offenders;
    int binding;
    try (Stream<Path> files = Files.walk(main)) {
      List<Path> sources = files.filter(p -> p.toString().endsWith(".java")).toList();
      binding = (int) sources.stream().filter(p -> p.startsWith(main.resolve("fs/fuse")) && uses(p)).count();
      offenders = sources.stream().filter(p -> !p.startsWith(main.resolve("fs/fuse")) && uses(p))
          .map(Path::toString).toList();
    }
    assertTrue(binding > 0, "the pattern finds nothing even in the binding: it is broken");
    assertEquals(List.of(), offenders);
  }

  private static boolean uses(Path p) {
    try {
      return NATIVE.matcher(Files.readString(p)).find();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

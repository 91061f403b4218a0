package org.streamfs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.streamfs.fs.NameBytes;

/**
 * KEY arguments of the CLI ({@code put}, {@code get}) are names as the mount sees them: the argument's
 * bytes, mapped by {@link NameBytes} (valid UTF-8 as it is; bytes that are not UTF-8, control characters
 * and {@code \} as their U+F700+byte escapes), so {@code streamfs get $'\x80X' out} reads the file a mount
 * shows as {@code $'\x80X'}. The JVM decodes argv as UTF-8 and turns bytes that are not UTF-8 into U+FFFD;
 * for such an argument the bytes are read back from {@code /proc/self/cmdline}.
 */
final class CliKeys {
  private CliKeys() {}

  /** The store key a KEY argument names. */
  static String of(String arg) {
    return arg == null || arg.isEmpty() ? arg : NameBytes.fromBytes(rawBytes(arg));
  }

  /** The bytes the shell passed for {@code arg}. */
  static byte[] rawBytes(String arg) {
    byte[] utf8 = arg.getBytes(StandardCharsets.UTF_8);
    if (arg.indexOf('\uFFFD') < 0) {
      return utf8;
    }
    List<byte[]> found = new ArrayList<>();
    for (byte[] a : cmdline()) {
      if (new String(a, StandardCharsets.UTF_8).equals(arg) && found.stream().noneMatch(f -> Arrays.equals(f, a))) {
        found.add(a);
      }
    }
    if (found.size() > 1) {
      throw new IllegalArgumentException("two arguments decode to '" + arg + "' but differ in bytes that are"
          + " not UTF-8; give one at a time");
    }
    return found.isEmpty() ? utf8 : found.get(0);
  }

  private static List<byte[]> cmdline() {
    List<byte[]> args = new ArrayList<>();
    try {
      byte[] all = Files.readAllBytes(Path.of("/proc/self/cmdline"));
      int start = 0;
      for (int i = 0; i < all.length; i++) {
        if (all[i] == 0) {
          args.add(Arrays.copyOfRange(all, start, i));
          start = i + 1;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no /proc: the decoded argument is all there is
    }
    return args;
  }
}

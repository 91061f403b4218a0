package org.streamfs.transfer.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamfs.catalog.Catalog;
import org.streamfs.it.Cli;
import org.streamfs.model.OperationStatus;

/**
 * The real CLI with {@code --compress} and {@code --encrypt-key-file}: put/get round trips, a wrong key, a
 * missing key and a key file others can read are refused with clear messages; a sealed put killed with
 * SIGKILL resumes with {@code streamfs resume} and yields the same bytes.
 */
class SealedCliIT {
  static final Pattern DONE = Pattern.compile("\"chunks_completed\":(\\d+)");
  @TempDir Path tmp;

  Path keyFile(String name, long seed, String perms) throws Exception {
    Path k = tmp.resolve(name);
    Files.writeString(k, HexFormat.of().formatHex(Sealed.random(32, seed)) + "\n");
    Files.setPosixFilePermissions(k, PosixFilePermissions.fromString(perms));
    return k;
  }

  String[] args(String... a) {
    List<String> base = List.of("--store", tmp.resolve("store").toUri().toString(), "--create-store",
        "--state-dir", tmp.resolve("state").toString(), "--chunk-size", "1M");
    String[] all = new String[a.length + base.size()];
    System.arraycopy(a, 0, all, 0, 1);
    for (int i = 0; i < base.size(); i++) {
      all[1 + i] = base.get(i);
    }
    System.arraycopy(a, 1, all, 1 + base.size(), a.length - 1);
    return all;
  }

  @Test
  void putGetWithCompressionAndEncryption() throws Exception {
    Path key = keyFile("key", 1, "rw-------");
    byte[] data = Sealed.text(5 * (1 << 20) + 77, 3);
    Path src = tmp.resolve("data.csv");
    Files.write(src, data);
    Cli.Result put = Cli.run("128m", Map.of(), args("put", "--compress", "3", "--encrypt-key-file",
        key.toString(), "-q", src.toString(), "docs/data.csv"));
    assertEquals(0, put.exit(), put.toString());
    byte[] stored = Files.readAllBytes(tmp.resolve("store").resolve("docs/data.csv"));
    assertTrue(SealedReader.hasMagic(stored) && stored.length < data.length / 2, "stored " + stored.length);

    Cli.Result get = Cli.run("128m", Map.of(), args("get", "--encrypt-key-file", key.toString(), "-q",
        "docs/data.csv", tmp.resolve("out.csv").toString()));
    assertEquals(0, get.exit(), get.toString());
    assertArrayEquals(data, Files.readAllBytes(tmp.resolve("out.csv")));

    Cli.Result wrong = Cli.run("128m", Map.of(), args("get", "--encrypt-key-file",
        keyFile("other", 2, "rw-------").toString(), "-q", "docs/data.csv", tmp.resolve("w.csv").toString()));
    assertNotEquals(0, wrong.exit());
    assertTrue(wrong.err().contains("wrong key"), wrong.toString());
    Cli.Result none = Cli.run("128m", Map.of(), args("get", "-q", "docs/data.csv",
        tmp.resolve("n.csv").toString()));
    assertNotEquals(0, none.exit());
    assertTrue(none.err().contains("--encrypt-key-file"), none.toString());
    Cli.Result open = Cli.run("128m", Map.of(), args("get", "--encrypt-key-file",
        keyFile("open", 1, "rw-r--r--").toString(), "-q", "docs/data.csv", tmp.resolve("o.csv").toString()));
    assertNotEquals(0, open.exit());
    assertTrue(open.err().contains("chmod 600"), open.toString());
    assertTrue(!Files.exists(tmp.resolve("w.csv")) && !Files.exists(tmp.resolve("n.csv")));
    for (Cli.Result r : List.of(put, get, wrong, none, open)) {
      assertTrue(!r.out().contains(HexFormat.of().formatHex(Sealed.random(32, 1)))
          && !r.err().contains(HexFormat.of().formatHex(Sealed.random(32, 1))), "key printed");
    }
  }

  @Test
  void killedSealedPutResumes() throws Exception {
    Path key = keyFile("key", 5, "r--------");
    Path src = tmp.resolve("big.bin");
    byte[] data = Sealed.random(40 * (1 << 20) + 999, 8);
    Files.write(src, data);
    Process p = Cli.builder("128m", Map.of(), args("put", "--compress", "1", "--compress-codec", "deflate",
        "--encrypt-key-file", key.toString(), "--parallel", "2", "--json", src.toString(), "docs/big.bin"))
        .start();
    String opId;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      assertTrue(first != null && first.contains("operation"), "op id printed first: " + first);
      opId = first.replaceAll(".*\"operation\":\"([0-9a-f]+)\".*", "$1");
      for (String line; (line = err.readLine()) != null; ) {
        Matcher m = DONE.matcher(line);
        if (m.find() && Integer.parseInt(m.group(1)) >= 10) {
          break;
        }
      }
      p.destroyForcibly(); // SIGKILL mid-upload
      p.waitFor();
    }
    boolean completed;
    try (Catalog c = Catalog.open(tmp.resolve("state").resolve("catalog"))) {
      completed = c.getOperation(opId).orElseThrow().status() == OperationStatus.COMPLETED;
    }
    if (!completed) {
      Cli.Result noKey = Cli.run("128m", Map.of(), args("resume", "-q", opId));
      assertNotEquals(0, noKey.exit(), "resuming a sealed upload without its key must fail: " + noKey);
      Cli.Result resume = Cli.run("128m", Map.of(), args("resume", "--encrypt-key-file", key.toString(),
          "-q", opId));
      assertEquals(0, resume.exit(), resume.toString());
    }
    Cli.Result get = Cli.run("128m", Map.of(), args("get", "--encrypt-key-file", key.toString(), "-q",
        "docs/big.bin", tmp.resolve("back.bin").toString()));
    assertEquals(0, get.exit(), get.toString());
    assertEquals(-1, Files.mismatch(src, tmp.resolve("back.bin")));
    Cli.Result verify = Cli.run("128m", Map.of(), args("verify", "--encrypt-key-file", key.toString(), opId));
    assertEquals(0, verify.exit(), verify.toString());
  }
}

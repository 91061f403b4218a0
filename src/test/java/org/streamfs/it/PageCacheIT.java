package org.streamfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads through the kernel's page cache and the in-place reads of a local store stay coherent with writes: a
 * seeded random sequence of whole rewrites, overwrites in the middle, appends and truncates through the real
 * mount, each followed by two reads in new opens (the second served from pages the kernel kept, keep_cache),
 * compared with a model of the file; then another tool replaces an object in the store and the next read
 * after the attribute caches expire must see the new bytes. (Deleting the version check from keep_cache does
 * not fail this test: libfuse 3 also has the kernel drop a file's pages when a getattr shows a new size or
 * mtime. The check matters for what getattr cannot see, and InPlaceReadTest covers the decision itself.)
 */
class PageCacheIT {
  @TempDir
  Path root;

  private static final String SCRIPT = String.join("\n",
      "import os, random, sys, time",
      "random.seed(int(sys.argv[1]))",
      "mnt, store = sys.argv[2], sys.argv[3]",
      "names = ['a.bin', 'b.bin', 'c.bin']",
      "model = {}",
      "def data(n): return random.randbytes(n)",
      "def check(name, when):",
      "    with open(os.path.join(mnt, name), 'rb') as f:",
      "        got = f.read()",
      "    if got != model[name]:",
      "        diff = next((i for i in range(min(len(got), len(model[name]))) if got[i] != model[name][i]), None)",
      "        sys.exit(f'{when}: {name} read {len(got)} bytes, expected {len(model[name])}; first difference at {diff}')",
      "for name in names:",
      "    model[name] = data(random.randrange(0, 3 << 20))",
      "    with open(os.path.join(mnt, name), 'wb') as f: f.write(model[name])",
      "for step in range(60):",
      "    name = random.choice(names)",
      "    op = random.choice(['rewrite', 'overwrite', 'append', 'truncate', 'read', 'read'])",
      "    p = os.path.join(mnt, name)",
      "    if op == 'rewrite':",
      "        model[name] = data(random.randrange(0, 3 << 20))",
      "        with open(p, 'wb') as f: f.write(model[name])",
      "    elif op == 'overwrite':",
      "        off = random.randrange(0, len(model[name]) + 1)",
      "        chunk = data(random.randrange(1, 300000))",
      "        with open(p, 'r+b') as f: f.seek(off); f.write(chunk)",
      "        m = model[name]",
      "        model[name] = m[:off] + chunk + m[off + len(chunk):]",
      "    elif op == 'append':",
      "        chunk = data(random.randrange(1, 200000))",
      "        with open(p, 'ab') as f: f.write(chunk)",
      "        model[name] += chunk",
      "    elif op == 'truncate':",
      "        n = random.randrange(0, len(model[name]) + 100000)",
      "        os.truncate(p, n)",
      "        model[name] = model[name][:n] + bytes(max(0, n - len(model[name])))",
      "    check(name, f'step {step} after {op}')",
      "    check(name, f'step {step} read again')",
      "# the mount's closes reach the store (after the write-back delay) before another tool changes it",
      "deadline = time.time() + 120",
      "while any(os.getxattr(os.path.join(mnt, n), 'user.streamfs.status') != b'stored' for n in names):",
      "    if time.time() > deadline: sys.exit('uploads did not finish')",
      "    time.sleep(0.1)",
      "# another tool replaces an object in the store (new file renamed over it)",
      "name = names[0]",
      "check(name, 'before the outside change')",
      "model[name] = data(1 << 20)",
      "tmp = os.path.join(store, name + '.outside')",
      "with open(tmp, 'wb') as f: f.write(model[name])",
      "os.rename(tmp, os.path.join(store, name))",
      "time.sleep(7)",
      "check(name, 'after another tool replaced it')",
      "print('ok')",
      "");

  @Test
  void randomRewritesAndReadsNeverSeeStaleBytes() throws Exception {
    try (Mounted m = new Mounted(root).start()) {
      Files.writeString(root.resolve("cache.py"), SCRIPT);
      for (long seed : new long[] {1, 2}) {
        Mounted.Result r = m.run("python3 cache.py " + seed + " mnt store 2>&1");
        assertEquals(0, r.code(), "seed " + seed + ": " + r.out());
        assertTrue(r.out().contains("ok"), r.out());
      }
      Mounted.Result sync = m.cli("sync", m.mnt.toString());
      assertEquals(0, sync.code(), sync.out());
    }
  }
}

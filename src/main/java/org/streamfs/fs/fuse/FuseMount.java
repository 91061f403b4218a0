package org.streamfs.fs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamfs.fs.StreamFs;

/**
 * Mounting and unmounting: which binding (libfuse 3 unless it is missing or {@code -o libfuse2}), the FUSE
 * options streamfs always uses ({@code fsname=streamfs,subtype=streamfs}, {@code default_permissions},
 * {@code use_ino} (libfuse3: in its init callback);
 * {@code big_writes} on libfuse 2; {@code allow_other} only when asked), the loop on its own thread
 * (libfuse's multi-threaded loop unless {@code -s} is asked for; see native-notes/README.md "thread
 * model"), readiness by watching /proc/self/mountinfo, clearing a stale mount left by a killed daemon
 * (ENOTCONN) with {@code fusermount3 -u} or {@code umount -l}, and checking that a libfuse is installed.
 */
public final class FuseMount {
  private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);

  private final Path mountpoint;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  private FuseMount(Path mountpoint) {
    this.mountpoint = mountpoint;
  }

  /** streamfs's own -o option: answer no xattr calls (see {@link StreamFuse#StreamFuse(StreamFs, boolean)}). */
  public static final String NOXATTR = "noxattr";
  /** streamfs's own -o option: use the libfuse2 (jnr-fuse) binding even where libfuse3 is installed. */
  public static final String LIBFUSE2 = "libfuse2";
  /** streamfs's own -o option (libfuse3 only): let the kernel cache writes (FUSE_CAP_WRITEBACK_CACHE). */
  public static final String WRITEBACK = "writeback";
  /**
   * streamfs's own -o option {@code upload_nice=N} (0-19): the niceness of upload threads, so that the
   * writer and the FUSE threads staging its bytes get the cores first (see transfer.UploadPriority).
   */
  public static final String UPLOAD_NICE = "upload_nice";
  public static final int DEFAULT_UPLOAD_NICE = 10;
  /** libfuse3's loop thread cap, unless -o max_threads=N says otherwise. */
  static final int MAX_THREADS = 64;
  private static final List<String> OWN = List.of(NOXATTR, LIBFUSE2, WRITEBACK);

  /** The upload niceness the user's -o options ask for ({@link #DEFAULT_UPLOAD_NICE} if none). */
  public static int uploadNice(List<String> userOptions) {
    int nice = DEFAULT_UPLOAD_NICE;
    for (String q : flat(userOptions)) {
      if (q.startsWith(UPLOAD_NICE + "=")) {
        try {
          nice = Integer.parseInt(q.substring(UPLOAD_NICE.length() + 1));
        } catch (NumberFormatException e) {
          nice = -1;
        }
        if (nice < 0 || nice > 19) {
          throw new IllegalArgumentException("-o " + q + ": the upload niceness must be 0..19");
        }
      }
    }
    return nice;
  }

  /** The user's -o values (each possibly a comma list) as single options, stripped, empty ones dropped. */
  static List<String> flat(List<String> userOptions) {
    List<String> out = new ArrayList<>();
    for (String o : userOptions) {
      for (String p : o.split(",")) {
        if (!p.isBlank()) {
          out.add(p.strip());
        }
      }
    }
    return out;
  }

  /** False if the user's -o options hold {@link #NOXATTR}. */
  public static boolean xattrsWanted(List<String> userOptions) {
    return !has(userOptions, NOXATTR);
  }

  static boolean has(List<String> userOptions, String option) {
    return flat(userOptions).contains(option);
  }

  /** The libfuse command line (mount point not included) for these user options. */
  static String[] arguments(List<String> userOptions, boolean singleThreaded, boolean libfuse3) {
    List<String> args = new ArrayList<>();
    if (libfuse3) {
      args.add("-f"); // jnr-fuse adds it itself for libfuse2
    }
    if (singleThreaded) {
      args.add("-s");
    }
    // libfuse3 always allows big writes (and refuses the option)
    // use_ino: st_ino is the number kept in each entry's metadata (stable across renames and remounts),
    // not libfuse's node id, which changes when the kernel forgets an inode and looks it up again (libfuse3
    // takes it in the init callback's fuse_config, not on the command line)
    List<String> opts = new ArrayList<>(libfuse3 ? List.of("fsname=streamfs", "subtype=streamfs",
        "default_permissions") : List.of("big_writes", "fsname=streamfs", "subtype=streamfs",
        "default_permissions", "use_ino"));
    for (String q : flat(userOptions)) {
      boolean own = OWN.contains(q) || q.startsWith(UPLOAD_NICE + "=");
      if (!own && !opts.contains(q) && !(libfuse3 && q.equals("big_writes"))) {
        opts.add(q);
      }
    }
    if (libfuse3 && opts.stream().noneMatch(o -> o.startsWith("max_threads="))) {
      // every callback waiting on the store holds a loop thread and libfuse 3 documents a default cap of
      // 10 (libfuse2 had none); 3.14's fuse_main_real still warns "Ignoring invalid max threads value" at
      // mount, and 24 reads held by a slow store did not delay an ls (native-notes §2)
      opts.add("max_threads=" + MAX_THREADS);
    }
    args.add("-o");
    args.add(String.join(",", opts));
    return args.toArray(new String[0]);
  }

  /**
   * Mounts {@code fs} and returns once the kernel shows the mount (or throws with the reason). The binding
   * is libfuse3's unless it is missing, the machine is not x86_64, or {@code -o libfuse2} asks for jnr-fuse
   * (see native-notes/README.md). The loop runs on a thread named {@code fuse-loop}; {@link #awaitEnd}
   * returns when it ends (unmounted).
   */
  public static FuseMount start(StreamFs fs, Path mountpoint, List<String> options, boolean singleThreaded,
      long timeoutMillis) throws IOException {
    boolean xattrs = xattrsWanted(options);
    LibFuse3 lib3 = null;
    if (!has(options, LIBFUSE2)) {
      String[] why = new String[1];
      lib3 = LibFuse3.load(why);
      if (lib3 == null) {
        LOG.info("using libfuse2: {}", why[0]);
      }
    }
    if (lib3 == null && libfuse2Problem() != null) {
      throw new IOException(libfuse2Problem());
    }
    FuseMount m = new FuseMount(mountpoint);
    String[] args = arguments(options, singleThreaded, lib3 != null);
    LOG.info("mounting {} through {} with {}", mountpoint, lib3 != null ? LibFuse3.SONAME : "libfuse.so.2",
        String.join(" ", args));
    Runnable loop;
    if (lib3 != null) {
      StreamFuse3 f3 = new StreamFuse3(fs, lib3, xattrs, has(options, WRITEBACK));
      String[] full = java.util.Arrays.copyOf(args, args.length + 1);
      full[args.length] = mountpoint.toAbsolutePath().toString();
      loop = () -> f3.run(full);
    } else {
      StreamFuse f2 = new StreamFuse(fs, xattrs);
      loop = () -> f2.mount(mountpoint, true, false, args);
    }
    Thread t = new Thread(() -> {
      try {
        loop.run();
        m.ended.complete(null);
      } catch (Throwable e) {
        m.ended.completeExceptionally(e);
      }
    }, "fuse-loop");
    t.setDaemon(false);
    t.start();
    FuseWatchdog.start();
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (!isMounted(mountpoint)) {
      if (m.ended.isDone()) {
        try {
          m.ended.join();
          throw new IOException("FUSE loop ended before the mount appeared");
        } catch (RuntimeException e) {
          Throwable c = e.getCause() != null ? e.getCause() : e;
          throw new IOException("cannot mount " + mountpoint + ": " + c.getMessage(), c);
        }
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("mount of " + mountpoint + " did not appear within " + timeoutMillis + " ms");
      }
      sleep(20);
    }
    return m;
  }

  /** Waits until the file system is unmounted (by umount, fusermount or a signal). */
  public void awaitEnd() throws InterruptedException {
    try {
      ended.get();
    } catch (java.util.concurrent.ExecutionException e) {
      LOG.warn("FUSE loop ended with {}", e.getCause().toString());
    }
  }

  public boolean awaitEnd(long millis) throws InterruptedException {
    try {
      ended.get(millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  /**
   * Unmounts (lazily if busy) and waits up to 10 s for the loop to end. A lazily detached mount lives on
   * while a process keeps a file open there (a writer that never closes): then {@link #awaitEnd} is released
   * all the same, so the daemon stops in bounded time; its process exit ends the FUSE connection, and the
   * writer's unclosed session is rolled back as after a crash (close() is the commit point).
   */
  public void unmount() throws InterruptedException {
    if (isMounted(mountpoint)) {
      if (run("fusermount3", "-u", mountpoint.toString()) != 0 && run("fusermount", "-u",
          mountpoint.toString()) != 0 && run("umount", mountpoint.toString()) != 0) {
        LOG.warn("{} is busy; detaching it lazily", mountpoint);
        run("umount", "-l", mountpoint.toString());
      }
    }
    if (!awaitEnd(10_000)) {
      LOG.warn("{}: the FUSE loop has not ended 10 s after the unmount (a process keeps a file open there);"
          + " stopping without it: files still open for writing lose what was written since their last"
          + " close", mountpoint);
      ended.complete(null);
    }
  }

  /** True if {@code mountpoint} is a streamfs FUSE mount now (per /proc/self/mountinfo). */
  public static boolean isMounted(Path mountpoint) {
    String type = mountType(mountpoint);
    return type != null && type.startsWith("fuse");
  }

  /** The file system type mounted exactly at {@code mountpoint}, or null. */
  public static String mountType(Path mountpoint) {
    String want = mountpoint.toAbsolutePath().normalize().toString();
    try {
      String found = null;
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
        String[] f = line.split(" ");
        if (f.length < 5 || !unescape(f[4]).equals(want)) {
          continue;
        }
        int dash = line.indexOf(" - ");
        found = dash < 0 ? "?" : line.substring(dash + 3).split(" ")[0];
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  private static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * Clears a stale mount left by a killed daemon ("Transport endpoint is not connected"). Returns true if
   * one was cleared.
   */
  public static boolean clearStale(Path mountpoint) {
    // opendir, not stat: the kernel answers stat of a FUSE root from its attribute cache for a second
    // after the daemon died, but every opendir goes to the daemon (ENOTCONN when it is gone)
    try (DirectoryStream<Path> probe = Files.newDirectoryStream(mountpoint)) {
      return false;
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      if (!m.contains("not connected") && mountType(mountpoint) == null) {
        return false;
      }
    }
    if (mountType(mountpoint) == null) {
      return false;
    }
    LOG.warn("clearing stale mount at {}", mountpoint);
    if (run("fusermount3", "-u", mountpoint.toString()) != 0
        && run("fusermount", "-u", mountpoint.toString()) != 0) {
      run("umount", "-l", mountpoint.toString());
    }
    return true;
  }

  /** Why no libfuse can be used (neither libfuse3 nor libfuse2 is installed), or null. */
  public static String libfuseProblem() {
    if (LibFuse3.usable() == null) {
      return null;
    }
    return libfuse2Problem();
  }

  /** Why libfuse2 cannot be loaded, or null if it is installed. */
  static String libfuse2Problem() {
    if (installed("libfuse.so.2")) {
      return null;
    }
    return "neither libfuse3.so.3 nor libfuse.so.2 usable: install the fuse3 package (or libfuse2)";
  }

  /** True if the shared library {@code soname} is in one of the usual library directories. */
  static boolean installed(String soname) {
    for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib", "/usr/local/lib")) {
      if (Files.exists(Path.of(dir, soname))) {
        return true;
      }
    }
    return false;
  }

  /** Runs a command quietly; its exit code, or -1 if it could not start. */
  static int run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package org.streamfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.StoreException;
import org.streamfs.store.middleware.StoreOp;
import org.streamfs.testing.FaultyStore;
import org.streamfs.testing.PassThrough;

/**
 * A directory rename cut short (the store refuses the Nth copy or delete, which leaves the store as a crash
 * at that point would) is finished by the next mount over the same state dir and store: every file under
 * the new name with its bytes, nothing left under the old one.
 */
class DirRenameTest {
  @TempDir
  Path root;

  private static final String[] FILES = {"/src/a", "/src/b", "/src/sub/c", "/src/sub/deeper/d", "/src/z"};

  /** Makes /src (mode 0750) with FILES in it, distinct random contents each, and waits until stored. */
  private static List<byte[]> tree(FsFixture f) throws Exception {
    f.fs.mkdir("/src", 0750, 0, 0);
    f.fs.mkdir("/src/sub", 0755, 0, 0);
    f.fs.mkdir("/src/sub/deeper", 0755, 0, 0);
    List<byte[]> data = new ArrayList<>();
    for (int i = 0; i < FILES.length; i++) {
      byte[] b = new byte[100 + 37 * i];
      new Random(i).nextBytes(b);
      data.add(b);
      f.put(FILES[i], b);
    }
    f.sync();
    return data;
  }

  /** The local store as S3 and CouchDB are: no move in place, so a rename copies everything, then deletes. */
  private static ObjectStore copyOnly(ObjectStore s) {
    return new PassThrough(s) {
      @Override
      public boolean movesInPlace() {
        return false;
      }
    };
  }

  /** The local store when the directory cannot be renamed whole (a target in the way): file by file. */
  private static ObjectStore fileByFile(ObjectStore s) {
    return new PassThrough(s) {
      @Override
      public boolean movePrefixInPlace(String fromPrefix, String toPrefix) {
        return false;
      }
    };
  }

  // whole: one rename of the directory (one COPY call); moves: the 5 files moved (a COPY call each), the
  // 2 markers below copied, then deleted, then the directory's own marker copied and deleted (COPY 8,
  // DELETE 3); copies: 7 copies, 7 deletes, then the marker (COPY 8, DELETE 8)
  @ParameterizedTest(name = "{0}: {1} #{2} fails")
  @CsvSource({"whole, COPY, 1", "moves, COPY, 1", "moves, COPY, 3", "moves, COPY, 6", "moves, COPY, 8",
      "moves, DELETE, 1", "moves, DELETE, 3", "copies, COPY, 1", "copies, COPY, 3", "copies, DELETE, 1",
      "copies, DELETE, 4", "copies, DELETE, 8"})
  void aRenameCutShortIsFinishedByTheNextMount(String mode, StoreOp op, int nth) throws Exception {
    UnaryOperator<ObjectStore> base = switch (mode) {
      case "whole" -> UnaryOperator.identity();
      case "moves" -> DirRenameTest::fileByFile;
      default -> DirRenameTest::copyOnly;
    };
    List<byte[]> data;
    FaultyStore[] faulty = new FaultyStore[1];
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, s -> faulty[0] = new FaultyStore(base.apply(s)))) {
      assertEquals(!mode.equals("copies"), faulty[0].movesInPlace());
      data = tree(f);
      faulty[0].failNth(op, faulty[0].calls(op) + nth, StoreException.Kind.PERMANENT);
      assertThrows(IOException.class, () -> f.fs.rename("/src", "/dst"));
      assertTrue(Files.exists(f.storeDir.resolve("src")), "the failure left the rename half done");
    }
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, base)) {
      assertEquals(1, f.fs.finishInterruptedRenames());
      for (int i = 0; i < FILES.length; i++) {
        String moved = "/dst" + FILES[i].substring(4);
        assertArrayEquals(data.get(i), f.get(moved), moved);
      }
      assertEquals(0750, f.fs.getattr("/dst").mode() & 07777, "the directory's own marker moved too");
      assertTrue(Files.notExists(f.storeDir.resolve("src")), "nothing is left under the old name");
      try (Stream<Path> s = Files.walk(f.storeDir.resolve("dst"))) {
        assertEquals(FILES.length, s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString()
            .startsWith(".")).count());
      }
      assertEquals(0, f.fs.finishInterruptedRenames(), "a finished rename is forgotten");
    }
  }

  @Test
  void aLocalDirectoryIsRenamedWholeWithoutCopyingBytes() throws Exception {
    FaultyStore[] faulty = new FaultyStore[1];
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, s -> faulty[0] = new FaultyStore(s))) {
      tree(f);
      Object inode = Files.getAttribute(f.storeDir.resolve("src/sub/deeper/d"), "unix:ino");
      long copies = faulty[0].calls(StoreOp.COPY);
      f.fs.rename("/src", "/dst");
      assertEquals(1, faulty[0].calls(StoreOp.COPY) - copies, "one store call for the whole directory");
      assertEquals(0, faulty[0].calls(StoreOp.DELETE));
      assertEquals(inode, Files.getAttribute(f.storeDir.resolve("dst/sub/deeper/d"), "unix:ino"));
      assertEquals(0750, f.fs.getattr("/dst").mode() & 07777);
      assertTrue(Files.notExists(f.storeDir.resolve("src")));
    }
  }

  @Test
  void theSameRenameAskedForAgainGoesOnWhereTheStoreStoppedIt() throws Exception {
    FaultyStore[] faulty = new FaultyStore[1];
    try (FsFixture f = new FsFixture(root, 64, 1 << 20, s -> faulty[0] = new FaultyStore(copyOnly(s)))) {
      List<byte[]> data = tree(f);
      faulty[0].failNth(StoreOp.COPY, faulty[0].calls(StoreOp.COPY) + 3, StoreException.Kind.PERMANENT);
      assertThrows(IOException.class, () -> f.fs.rename("/src", "/dst"));
      assertTrue(Files.exists(f.storeDir.resolve("dst")), "the failure left a half-filled target");
      f.fs.rename("/src", "/dst"); // mv again: not ENOTEMPTY
      for (int i = 0; i < FILES.length; i++) {
        String moved = "/dst" + FILES[i].substring(4);
        assertArrayEquals(data.get(i), f.get(moved), moved);
      }
      assertTrue(Files.notExists(f.storeDir.resolve("src")));
      assertEquals(0, f.fs.finishInterruptedRenames(), "nothing left to finish");
      f.fs.mkdir("/other", 0755, 0, 0);
      FsException e = assertThrows(FsException.class, () -> f.fs.rename("/other", "/dst"));
      assertEquals(Errno.ENOTEMPTY, e.errno(), "any other rename onto a non-empty directory is refused");
    }
  }

  @Test
  void aCompletedRenameLeavesNothingToFinish() throws Exception {
    try (FsFixture f = new FsFixture(root, 64, 1 << 20)) {
      f.fs.mkdir("/src", 0755, 0, 0);
      f.put("/src/a", new byte[10]);
      f.fs.rename("/src", "/dst");
      f.fs.mkdir("/src", 0755, 0, 0);
      f.put("/src/new", new byte[3]);
      f.sync();
    }
    try (FsFixture f = new FsFixture(root, 64, 1 << 20)) {
      assertEquals(0, f.fs.finishInterruptedRenames());
      assertEquals(3, f.fs.getattr("/src/new").size(), "a new directory of the old name is left alone");
      assertEquals(10, f.fs.getattr("/dst/a").size());
    }
  }
}

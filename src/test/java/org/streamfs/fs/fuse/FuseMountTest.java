package org.streamfs.fs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The libfuse command lines and streamfs's own -o options (which never reach libfuse). */
class FuseMountTest {
  @Test
  void libfuse3GetsForegroundAndNoBigWrites() {
    assertArrayEquals(new String[] {"-f", "-o",
        "fsname=streamfs,subtype=streamfs,default_permissions,allow_other,max_threads=64"},
        FuseMount.arguments(List.of("big_writes,allow_other"), false, true));
    assertEquals("fsname=streamfs,subtype=streamfs,default_permissions,max_threads=4",
        FuseMount.arguments(List.of("max_threads=4"), false, true)[2]);
  }

  @Test
  void libfuse2GetsBigWritesAndSingleThreadOnRequest() {
    assertArrayEquals(new String[] {"-s", "-o", "big_writes,fsname=streamfs,subtype=streamfs,default_permissions,use_ino"},
        FuseMount.arguments(List.of(), true, false));
  }

  @Test
  void streamfsOwnOptionsAreNotPassedToLibfuse() {
    String[] a = FuseMount.arguments(List.of("noxattr,writeback", "libfuse2", "upload_nice=3,ro"), false, true);
    assertEquals("fsname=streamfs,subtype=streamfs,default_permissions,ro,max_threads=64", a[a.length - 1]);
    assertFalse(FuseMount.xattrsWanted(List.of("ro,noxattr")));
    assertTrue(FuseMount.xattrsWanted(List.of("ro")));
  }

  @Test
  void uploadNiceIsParsedAndBounded() {
    assertEquals(FuseMount.DEFAULT_UPLOAD_NICE, FuseMount.uploadNice(List.of("ro")));
    assertEquals(0, FuseMount.uploadNice(List.of("ro,upload_nice=0")));
    assertEquals(19, FuseMount.uploadNice(List.of("upload_nice=19")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FuseMount.uploadNice(List.of("upload_nice=20")));
    assertTrue(e.getMessage().contains("upload_nice=20"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FuseMount.uploadNice(List.of("upload_nice=x")));
  }
}

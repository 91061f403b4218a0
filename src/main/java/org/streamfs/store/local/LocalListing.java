package org.streamfs.store.local;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.streamfs.store.Listing;
import org.streamfs.store.ObjectInfo;
import org.streamfs.store.StoreException;
import org.streamfs.store.StoreException.Kind;
import org.streamfs.store.StoreKeys;

/**
 * Listing of the local store: with delimiter {@code /} one directory read of the prefix's directory (files
 * become objects, sub-directories common prefixes), without one a recursive walk that reports every
 * directory as a marker. Entries whose names are not valid keys (the hidden bookkeeping directories, names
 * with control characters or backslashes that other tools created) and symbolic links that lead outside the
 * root are skipped; linked directories are not descended into, so a link loop cannot trap the walk.
 */
final class LocalListing {
  private LocalListing() {}

  static Listing list(LocalPaths paths, String prefix, String delimiter) throws StoreException {
    StoreKeys.validatePrefix(prefix, LocalPaths.MAX_KEY_BYTES);
    if (delimiter != null && !delimiter.equals("/")) {
      throw new StoreException(Kind.PERMANENT, prefix, "the local store lists only with delimiter '/' or none");
    }
    int slash = prefix.lastIndexOf('/');
    String dirKey = prefix.substring(0, slash + 1);
    String namePrefix = prefix.substring(slash + 1);
    Path dir;
    if (dirKey.isEmpty()) {
      dir = paths.root;
      paths.requireRoot();
    } else {
      try {
        dir = paths.existing(dirKey);
      } catch (StoreException e) {
        if (e.kind() == Kind.NOT_FOUND) {
          return new Listing(List.of(), List.of());
        }
        throw e;
      }
    }
    List<ObjectInfo> objects = new ArrayList<>();
    List<String> common = new ArrayList<>();
    try {
      walk(paths, dir, dirKey, namePrefix, delimiter == null, objects, common);
    } catch (IOException e) {
      throw LocalErrors.map(prefix, "listing", e);
    }
    objects.sort(Comparator.comparing(ObjectInfo::key));
    common.sort(null);
    return new Listing(objects, common);
  }

  private static void walk(LocalPaths paths, Path dir, String dirKey, String namePrefix, boolean recursive, List<ObjectInfo> objects,
      List<String> common) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Path rootReal = paths.requireRoot();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path entry : ds) {
        String name = entry.getFileName().toString();
        if (!name.startsWith(namePrefix)) {
          continue;
        }
        String key = dirKey + name;
        Path p = paths.reachable(entry, key);
        if (p == null) {
          continue;
        }
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          boolean link = a.isSymbolicLink();
          if (link) {
            if (!p.toRealPath().startsWith(rootReal)) {
              continue;
            }
            a = Files.readAttributes(p, BasicFileAttributes.class);
          }
          if (a.isDirectory()) {
            String marker = key + "/";
            if (StoreKeys.problem(marker, LocalPaths.MAX_KEY_BYTES) != null) {
              continue;
            }
            if (!recursive) {
              common.add(marker);
            } else if (!link) {
              objects.add(LocalStore.info(marker, p, a));
              // by its key, not p: a path too long for a system call goes through a link
              walk(paths, paths.path(marker), marker, "", true, objects, common);
            }
          } else if (a.isRegularFile() && StoreKeys.problem(key, LocalPaths.MAX_KEY_BYTES) == null) {
            objects.add(LocalStore.info(key, p, a));
          }
        } catch (NoSuchFileException e) {
          // removed while we listed
        }
      }
    }
  }
}

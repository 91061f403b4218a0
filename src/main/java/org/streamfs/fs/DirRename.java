package org.streamfs.fs;

import java.io.IOException;
import java.util.List;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.Namespace;

/**
 * Renames a directory in a store that has no rename: files still being written below it are committed and
 * waited for first, then every object below the old prefix (markers included) is copied to the new prefix
 * and deleted, deepest keys last; live files are re-keyed. Not atomic: a crash in the middle leaves both
 * halves, each object whole.
 */
final class DirRename {
  private final Namespace ns;
  private final OpenFiles files;

  DirRename(Namespace ns, OpenFiles files) {
    this.ns = ns;
    this.files = files;
  }

  void run(String src, String dst) throws IOException {
    String from = src + "/";
    String to = dst + "/";
    for (String k : files.keysUnder(from)) {
      LiveFile f = files.get(k);
      if (f != null) {
        files.settle(f);
      }
    }
    List<ObjectInfo> objects = ns.listAll(from);
    for (ObjectInfo o : objects) {
      if (o.key().equals(from)) {
        continue;
      }
      String target = to + o.key().substring(from.length());
      ObjectInfo moved = ns.rename(o.key(), target);
      files.rekey(o.key(), target, moved);
    }
    if (ns.find(from).isPresent()) {
      ns.rename(from, to);
    } else if (ns.find(to).isEmpty()) {
      ns.put(to, new byte[0], Meta.create(Attr.S_IFDIR | 0755, 0, 0));
    }
  }
}

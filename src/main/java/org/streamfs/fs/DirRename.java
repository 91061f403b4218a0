package org.streamfs.fs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.streamfs.store.ObjectInfo;
import org.streamfs.transfer.Namespace;

/**
 * Renames a directory in a store that has no rename: files still being written below it are committed and
 * waited for first, then every object below the old prefix (markers included) is copied to the new prefix,
 * and the old keys are deleted deepest first (a marker must be empty to go); live files are re-keyed. Not
 * atomic: a crash in the middle leaves both halves, each object whole.
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
    List<ObjectInfo> objects = new ArrayList<>(ns.listAll(from));
    objects.sort(Comparator.comparing(ObjectInfo::key));
    for (ObjectInfo o : objects) {
      if (!o.key().equals(from)) {
        String target = to + o.key().substring(from.length());
        files.rekey(o.key(), target, ns.copy(o.key(), target));
      }
    }
    for (int i = objects.size() - 1; i >= 0; i--) {
      if (!objects.get(i).key().equals(from)) {
        ns.delete(objects.get(i).key());
      }
    }
    if (ns.find(from).isPresent()) {
      ns.rename(from, to);
    } else if (ns.find(to).isEmpty()) {
      ns.put(to, new byte[0], Meta.create(Attr.S_IFDIR | 0755, 0, 0));
    }
  }
}

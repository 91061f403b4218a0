package org.streamfs.store;

import java.util.List;

/**
 * The answer to {@link ObjectStore#list}: objects directly under the prefix (when a delimiter is given) and
 * the common prefixes ("sub-directories", each ending in the delimiter), both sorted by key.
 */
public record Listing(List<ObjectInfo> objects, List<String> commonPrefixes) {
  public Listing {
    objects = List.copyOf(objects);
    commonPrefixes = List.copyOf(commonPrefixes);
  }
}

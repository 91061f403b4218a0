package org.streamfs.fs.fuse;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.streamfs.fs.Errno;
import org.streamfs.fs.FsException;
import org.streamfs.fs.NameBytes;

/**
 * Where the kernel's names (bytes) become the file system's strings and back, for both bindings. The
 * libfuse3 binding receives every C string as ISO-8859-1 (one char per byte, nothing lost) and maps its
 * bytes with {@link NameBytes}; the libfuse2 binding gets jnr-fuse's UTF-8 decoding, whose U+FFFD it must
 * refuse ({@link NameBytes#fromDecoded}). Names sent back (readdir, readlink) are {@link NameBytes#toBytes}.
 * Extended attribute names are not escaped: they must be UTF-8 (EILSEQ otherwise), as they always were.
 */
final class FuseNames {
  private FuseNames() {}

  /** A path or symlink target received as ISO-8859-1 (its bytes, one char each). */
  static String path(String latin1) {
    return latin1 == null ? null : NameBytes.fromBytes(latin1.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** The bytes the kernel gets for a name, path or symlink target of the file system. */
  static byte[] bytes(String name) {
    return NameBytes.toBytes(name);
  }

  /** An xattr name received as ISO-8859-1: its UTF-8 text, EILSEQ if the bytes are not UTF-8. */
  static String xattrName(String latin1) throws FsException {
    byte[] b = latin1.getBytes(StandardCharsets.ISO_8859_1);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw FsException.of(Errno.EILSEQ, NameBytes.fromBytes(b), "extended attribute name is not UTF-8");
    }
  }
}

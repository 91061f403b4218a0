package org.streamfs.transfer.codec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the user asked for: a compression codec and level (level 0 = off) and an optional encryption
 * secret. Both off ({@link #plain()}) means plain mode: the object holds exactly the file's bytes and no
 * codec runs at all. The secret is never part of {@link #toString()}.
 */
public record CodecOptions(Compression compression, int level, KeyMaterial key) {

  public CodecOptions {
    if (level == 0) {
      compression = Compression.NONE;
    } else if (compression == null || compression == Compression.NONE) {
      compression = Compression.ZSTD;
    }
    compression.checkLevel(level);
  }

  /** No compression, no encryption: objects hold the file's bytes exactly. */
  public static CodecOptions plain() {
    return new CodecOptions(Compression.NONE, 0, null);
  }

  /**
   * The options as the CLI spells them: {@code --compress LEVEL} (0 = off), {@code --compress-codec
   * zstd|deflate} (null = zstd) and {@code --encrypt-key-file FILE} (null = no encryption).
   */
  public static CodecOptions fromCli(int level, String codecName, Path keyFile) throws IOException {
    Compression c = codecName == null ? Compression.ZSTD : Compression.parse(codecName);
    KeyMaterial k = keyFile == null ? null : KeyMaterial.fromFile(keyFile);
    return new CodecOptions(level == 0 ? Compression.NONE : c, level, k);
  }

  public CodecOptions withKey(KeyMaterial k) {
    return new CodecOptions(compression, level, k);
  }

  public boolean compressing() {
    return level != 0;
  }

  public boolean encrypting() {
    return key != null;
  }

  /** True when neither compression nor encryption is on: objects are written exactly as the file. */
  public boolean isPlain() {
    return !compressing() && !encrypting();
  }

  @Override
  public String toString() {
    return "CodecOptions[" + (compressing() ? compression.name().toLowerCase(Locale.ROOT) + " level " + level
        : "no compression") + ", " + (encrypting() ? "encrypted (key redacted)" : "not encrypted") + "]";
  }
}

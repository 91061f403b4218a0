package org.streamfs.transfer.codec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The user's secret: either a 256-bit key or a passphrase that {@link Pbkdf2} stretches into one. Loaded
 * only from a file ({@link #fromFile}), never from a command line; a file group or world may read is
 * refused. A passphrase yields one master key per (salt, iterations): writers use one random salt and a
 * calibrated iteration count per process (so the ~0.5 s cost is paid once), readers derive the key for the
 * parameters an object's header records, cached. {@link #toString()} never shows key bytes.
 */
public final class KeyMaterial {
  /** Shortest passphrase accepted. */
  public static final int MIN_PASSPHRASE_CHARS = 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String origin;
  private final byte[] rawKey; // non-null for a key
  private final char[] passphrase; // non-null for a passphrase
  private final int fixedIterations; // > 0: do not calibrate (tests, explicit configuration)
  private KdfParams writeParams; // guarded by this
  private final Map<KdfParams, byte[]> derived = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<KdfParams, byte[]> e) {
      return size() > 16;
    }
  };

  private KeyMaterial(String origin, byte[] rawKey, char[] passphrase, int fixedIterations) {
    this.origin = origin;
    this.rawKey = rawKey;
    this.passphrase = passphrase;
    this.fixedIterations = fixedIterations;
  }

  /** A raw 256-bit key (copied). */
  public static KeyMaterial ofKey(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("an encryption key must be 32 bytes (256 bits), got " + key.length);
    }
    return new KeyMaterial("key", key.clone(), null, 0);
  }

  /**
   * A passphrase (copied); {@code iterations} 0 calibrates PBKDF2 to ~0.5 s on first use, a positive value
   * fixes it (at least {@link Pbkdf2#MIN_ITERATIONS}).
   */
  public static KeyMaterial ofPassphrase(char[] passphrase, int iterations) {
    if (passphrase.length < MIN_PASSPHRASE_CHARS) {
      throw new IllegalArgumentException("passphrase too short: at least " + MIN_PASSPHRASE_CHARS
          + " characters");
    }
    if (iterations != 0 && iterations < Pbkdf2.MIN_ITERATIONS) {
      throw new IllegalArgumentException("PBKDF2 iterations must be 0 (calibrate) or >= "
          + Pbkdf2.MIN_ITERATIONS + ", got " + iterations);
    }
    return new KeyMaterial("passphrase", null, passphrase.clone(), iterations);
  }

  /**
   * Loads a key file. Its content is, in this order: exactly 32 bytes that are not all printable text (a
   * raw key, e.g. {@code head -c 32 /dev/urandom}); 64 hex digits; base64 of 32 bytes; otherwise UTF-8 text
   * taken as a passphrase (one trailing newline removed). The file must not be readable or writable by
   * group or others.
   */
  public static KeyMaterial fromFile(Path file) throws IOException {
    return fromFile(file, 0);
  }

  /** As {@link #fromFile(Path)}, with a fixed PBKDF2 iteration count for a passphrase (0 = calibrate). */
  public static KeyMaterial fromFile(Path file, int passphraseIterations) throws IOException {
    checkPermissions(file);
    byte[] content = Files.readAllBytes(file);
    try {
      if (content.length == 32 && !isPrintable(content)) {
        return new KeyMaterial("key file " + file, content.clone(), null, 0);
      }
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException("key file " + file + " is neither a 32-byte raw key, nor hex or"
            + " base64 of 32 bytes, nor a UTF-8 passphrase (" + content.length + " bytes)");
      }
      String trimmed = text.strip();
      if (trimmed.length() == 64 && trimmed.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
          key[i] = (byte) Integer.parseInt(trimmed.substring(2 * i, 2 * i + 2), 16);
        }
        return new KeyMaterial("key file " + file, key, null, 0);
      }
      if (trimmed.length() == 44 && trimmed.endsWith("=")) {
        try {
          byte[] key = Base64.getDecoder().decode(trimmed);
          if (key.length == 32) {
            return new KeyMaterial("key file " + file, key, null, 0);
          }
        } catch (IllegalArgumentException notBase64) {
          // fall through: a passphrase that happens to look like base64
        }
      }
      String pass = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
          : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
      if (pass.length() < MIN_PASSPHRASE_CHARS) {
        throw new IllegalArgumentException("key file " + file + " holds a passphrase shorter than "
            + MIN_PASSPHRASE_CHARS + " characters (or an empty file); a key must be 32 raw bytes, 64 hex"
            + " digits or base64 of 32 bytes");
      }
      if (passphraseIterations != 0 && passphraseIterations < Pbkdf2.MIN_ITERATIONS) {
        throw new IllegalArgumentException("PBKDF2 iterations must be 0 (calibrate) or >= "
            + Pbkdf2.MIN_ITERATIONS + ", got " + passphraseIterations);
      }
      return new KeyMaterial("passphrase file " + file, null, pass.toCharArray(), passphraseIterations);
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  private static void checkPermissions(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "encryption key file not found");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("encryption key file " + file + " is not a regular file");
    }
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return; // not a POSIX file system: nothing to check
    }
    Set<PosixFilePermission> perms = view.readAttributes().permissions();
    if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
        || perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IllegalArgumentException("encryption key file " + file + " is accessible by group or others"
          + " (mode " + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); refusing it: run"
          + " 'chmod 600 " + file + "'");
    }
  }

  private static boolean isPrintable(byte[] b) {
    for (byte x : b) {
      if (x < 0x20 || x > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** True for a passphrase (the header then records the KDF parameters). */
  public boolean isPassphrase() {
    return passphrase != null;
  }

  /** KDF parameters for new objects: none for a key; this process's salt and iteration count otherwise. */
  synchronized KdfParams writeParams() {
    if (passphrase == null) {
      return KdfParams.NONE;
    }
    if (writeParams == null) {
      byte[] salt = new byte[16];
      RANDOM.nextBytes(salt);
      int iter = fixedIterations > 0 ? fixedIterations : Pbkdf2.calibrate();
      writeParams = new KdfParams(KdfParams.PBKDF2_SHA256, iter, salt);
    }
    return writeParams;
  }

  /**
   * The master key for an object whose header records {@code params}; throws {@link WrongKeyException} if
   * the kind of secret does not match (passphrase vs. key).
   */
  synchronized byte[] masterKey(KdfParams params, String object) throws WrongKeyException {
    if (params.kdf() == KdfParams.NO_KDF) {
      if (rawKey == null) {
        throw new WrongKeyException(object, "it was sealed with a 256-bit key file, but a passphrase was"
            + " given");
      }
      return rawKey;
    }
    if (passphrase == null) {
      throw new WrongKeyException(object, "it was sealed with a passphrase, but a 256-bit key file was given");
    }
    byte[] k = derived.get(params);
    if (k == null) {
      k = Pbkdf2.derive(passphrase, params.salt(), params.iterations());
      derived.put(params, k);
    }
    return k;
  }

  /** For messages: where the secret came from, never what it is. */
  @Override
  public String toString() {
    return "KeyMaterial[" + origin + ", redacted]";
  }

  /** Overwrites the secret in memory; this object is unusable afterwards. */
  public synchronized void destroy() {
    if (rawKey != null) {
      Arrays.fill(rawKey, (byte) 0);
    }
    if (passphrase != null) {
      Arrays.fill(passphrase, '\0');
    }
    for (byte[] k : derived.values()) {
      Arrays.fill(k, (byte) 0);
    }
    derived.clear();
  }
}

package org.streamfs.transfer.codec;

import org.streamfs.model.StreamingException;

/**
 * A sealed object cannot be opened with the secret given: a different key or passphrase (the key check
 * value in its header does not match), the wrong kind of secret, or no key at all for an encrypted
 * object. Raised before any chunk is decrypted, so a wrong key never yields garbage. Not retryable.
 */
public final class WrongKeyException extends StreamingException {
  private static final long serialVersionUID = 1L;
  private final String object;

  public WrongKeyException(String object, String reason) {
    super("cannot decrypt " + object + ": " + reason, null);
    this.object = object;
  }

  public String object() {
    return object;
  }
}

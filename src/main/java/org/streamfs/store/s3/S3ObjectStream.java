package org.streamfs.store.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;

/**
 * The body of a GET as handed to callers: closing it before the end aborts the HTTP connection instead of
 * letting the client drain the rest of a possibly huge object; reading it to the end and closing returns
 * the connection to the pool. A failure while reading is an IOException (the caller retries the range).
 */
final class S3ObjectStream extends FilterInputStream {
  private final ResponseInputStream<?> response;
  private boolean eof;
  private boolean closed;

  S3ObjectStream(ResponseInputStream<?> response) {
    super(response);
    this.response = response;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    eof |= b < 0;
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    eof |= n < 0;
    return n;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (!eof) {
      response.abort();
    }
    response.close();
  }
}

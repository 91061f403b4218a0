package org.streamfs.store;

import java.time.Instant;

/** A multipart upload begun and neither completed nor aborted: key, upload id and start time. */
public record PendingUpload(String key, String uploadId, Instant initiated) {}

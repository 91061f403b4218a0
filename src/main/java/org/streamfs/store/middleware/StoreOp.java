package org.streamfs.store.middleware;

/** The calls of {@link org.streamfs.store.ObjectStore} that reach a store, as counted and filtered by middleware. */
public enum StoreOp {
  CHECK_ACCESS("checkAccess"),
  STAT("stat"),
  LIST("list"),
  READ("read"),
  PUT("put"),
  BEGIN_UPLOAD("beginUpload"),
  UPLOAD_PART("uploadPart"),
  COPY_PART("copyPart"),
  LIST_PARTS("listParts"),
  COMPLETE_UPLOAD("completeUpload"),
  ABORT_UPLOAD("abortUpload"),
  LIST_UPLOADS("listUploads"),
  DELETE("delete"),
  COPY("copy"),
  UPDATE_METADATA("updateMetadata"),
  READ_MANIFEST("readManifest"),
  WRITE_MANIFEST("writeManifest"),
  DELETE_MANIFEST("deleteManifest"),
  LIST_MANIFESTS("listManifestIds");

  private final String method;

  StoreOp(String method) {
    this.method = method;
  }

  /** The SPI method's name, for messages and logs. */
  public String method() {
    return method;
  }
}

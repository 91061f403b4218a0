/**
 * The S3 store: {@link org.streamfs.store.s3.S3Store} speaks to any S3-compatible service (AWS S3, MinIO,
 * Ceph RGW, Garage, S3Proxy) through the AWS SDK for Java v2 sync client over the Apache HTTP client.
 *
 * <p><b>Addressing.</b> A store is {@code s3://bucket/prefix?endpoint=…&region=…&path-style=…}
 * ({@link org.streamfs.store.s3.S3StoreConfig}); a store key {@code k} is the bucket key {@code prefix + k}.
 * Credentials never travel in the URI (user-info is refused): they come from the standard AWS chain
 * (system properties, environment, web identity, {@code ~/.aws/credentials} profile, container/instance
 * roles) or from a named {@code profile=}. Versions are ETags without quotes; a read pinned to a version is
 * a GET with {@code If-Match}, a part copy pinned to one uses {@code x-amz-copy-source-if-match}.
 *
 * <p><b>Directories.</b> A directory marker is a zero-byte {@code dir/} object with content type
 * {@code application/x-directory}, which is what s3fs and rclone write and read. Buckets filled by other
 * tools often have no markers: a prefix with children is a directory too ({@code stat("d/")} falls back to a
 * one-key listing) and listings roll keys up into common prefixes with the {@code /} delimiter.
 * ListObjectsV2 carries no user metadata, so listings HEAD each object (eight at a time) unless
 * {@code list-metadata=false}. {@code x} and {@code x/} are distinct keys even on servers that store both at
 * one path (S3Proxy's filesystem backend answers a HEAD or DELETE of {@code x/} with the file {@code x}):
 * {@link org.streamfs.store.s3.S3Shapes} checks such answers, so stat and rmdir never mistake a file for a
 * marker.
 *
 * <p><b>Multipart and integrity.</b> Uploads are S3 multipart uploads created with checksum algorithm
 * SHA-256; every part carries its SHA-256 in the {@code x-amz-checksum-sha256} header (not an SDK trailer:
 * S3Proxy accepts trailers without checking them) and a wrong one is a {@code CHECKSUM} failure. Complete
 * sends every part's checksum back, which S3Proxy requires; ListParts does not return them, so the caller
 * keeps {@link org.streamfs.store.PartReceipt#sha256Hex()} (the engine keeps it in its catalog). A part
 * filled by UploadPartCopy on a server that reports no checksum for it is read back once and hashed.
 * {@code checksum=md5} switches to Content-MD5 uploads without a checksum algorithm, for servers that lack
 * SHA-256 support. The SDK's own checksums are off ({@code WHEN_REQUIRED}) and bodies go out as one signed
 * payload ({@code chunked-encoding=false}, measured faster here than aws-chunked; S3Proxy then limits a single
 * request to about 40 MiB, well above the engine's chunks). Complete carries {@code x-amz-mp-object-size}
 * (AWS checks the total size with it); endpoints that answer 501 to it (S3Proxy 4.1) get one retry without
 * it and never see it again from this store ({@code mp-object-size=auto|true|false}).
 *
 * <p><b>Resume and orphans.</b> The truth about an upload is ListMultipartUploads: some servers answer
 * ListParts and even UploadPart for an unknown or aborted upload id with success, so {@code listParts}
 * and (at most every 30 s per id) {@code uploadPart} first confirm the upload is open and report NOT_FOUND
 * otherwise. S3 keeps no per-upload mark that ListMultipartUploads returns, so each upload this tool begins
 * gets a small ledger object under {@code prefix/.streamfs/uploads/} (manifests live beside it, one JSON
 * sidecar per object under {@code prefix/.streamfs/manifests/}, named by the SHA-256 of the key and naming
 * the ETag it vouches for; both areas are hidden from listings); {@code listUploads} and
 * {@code sweepOrphanUploads} only ever see and abort uploads in that ledger, never other tools' uploads in
 * the same bucket. Objects above 5 GiB are copied with UploadPartCopy parts instead of CopyObject.
 *
 * <p><b>Failures.</b> The adapter never retries (the SDK retry strategy is "do not retry"); connect (5 s),
 * socket (30 s) and whole-call (15 min) timeouts keep a dead or silent endpoint from hanging a caller.
 * {@link org.streamfs.store.s3.S3Errors} maps every SDK failure once to a
 * {@link org.streamfs.store.StoreException.Kind}, naming the operation, key, bucket and endpoint.
 */
package org.streamfs.store.s3;

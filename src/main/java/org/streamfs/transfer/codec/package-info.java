/**
 * Per-chunk compression and authenticated encryption ("sealed" objects), with ranged reads intact.
 *
 * <p>Plain mode (no compression, no encryption) never enters this package: the object is the file's bytes
 * and chunk {@code i} is the byte range {@code [i*chunkSize, ...)}. With either option on, the engine seals
 * each chunk into one frame and uploads it as multipart part {@code i + 1}, exactly as it uploads plain
 * chunks, and adds one final part: an index of every frame's offset, length and plaintext SHA-256, and a
 * fixed-size footer that locates the index. A reader ({@link org.streamfs.transfer.codec.SealedReader})
 * therefore reads the footer, header and index once (two small ranged reads, cached per object version)
 * and then any chunk with one ranged read of its frame: a random read through the mount still downloads
 * only the chunks it touches. FORMAT.md at the repository root is the byte-level specification.
 *
 * <p>Where it runs. {@link org.streamfs.transfer.codec.SealingStore} decorates the store the engine runs
 * on: above it every object is its plaintext (sizes, ranges, parts), below it sealed objects carry
 * {@code streamfs-format=sealed-v1}. The engine needs no change: it chunks, checksums, checkpoints and
 * resumes exactly as in plain mode; the decorator seals part {@code n} as frame {@code n-1}, appends the
 * index part at completion, carries the header token in the upload id (so a restarted process resumes the
 * same object version), and turns server-side part copies into verified read-and-reseal.
 * {@link org.streamfs.transfer.codec.SealedUploads} holds the multipart side.
 *
 * <p>Why frames are independent. Every frame can be sealed alone, in any order, in parallel, and sealed
 * again: that is what keeps the engine's parallel uploader, its per-chunk checkpoints and resume unchanged.
 * The cost is that the index can only be written last, so a sealed upload has one more part, and a chunk's
 * frame cannot be copied server-side from an older version (it is bound to that version's file id).
 *
 * <p>Compression ({@link org.streamfs.transfer.codec.Compression}) runs first, into a buffer one byte
 * smaller than the chunk: if the result does not fit, the chunk is stored raw, so compression never costs
 * more than the 12-byte frame header. Decompression writes exactly the recorded plaintext length (no
 * decompression bombs).
 *
 * <p>Encryption is AES-256-GCM from the JDK. Each object version draws a random 128-bit file id; its data
 * key is HKDF-Expand(master key, file id), so keys are never shared between files or versions, and each
 * frame draws a random 96-bit nonce stored in the frame. The associated data binds the file id and the
 * chunk index; the index (itself GCM-sealed, binding the whole header) binds chunk count and file size, so
 * moved, swapped, foreign, mixed-version and truncated frames are all reported as
 * {@link org.streamfs.model.ChecksumMismatchException}, never returned. A key check value in the header
 * (HKDF of the master key and file id) refuses a wrong key with
 * {@link org.streamfs.transfer.codec.WrongKeyException} before anything is decrypted.
 *
 * <p>Secrets ({@link org.streamfs.transfer.codec.KeyMaterial}) come only from files that group and others
 * cannot read; a passphrase is stretched with PBKDF2-HMAC-SHA256 at a cost calibrated to ~0.5 s, its salt
 * and iteration count recorded in each header. No class here prints a secret in {@code toString}.
 *
 * <p>Threading: {@link org.streamfs.transfer.codec.ObjectCodec} and an opened
 * {@link org.streamfs.transfer.codec.SealedReader} are immutable and thread-safe; ciphers and
 * (de)compressors are created per call. No locks are held across I/O (the reader's I/O is the caller's
 * {@link org.streamfs.transfer.codec.RangeReader}).
 */
package org.streamfs.transfer.codec;

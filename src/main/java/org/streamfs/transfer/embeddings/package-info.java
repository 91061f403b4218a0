/**
 * Embedding collections: large float32 matrices streamed to the store as NumPy {@code .npy} files and read
 * back by row range.
 *
 * <p><b>Format.</b> A collection is one object, {@code <prefix><name>.npy} (prefix {@code embeddings/} by
 * default), holding a standard NumPy version 1.0 file: a header of exactly 128 bytes (magic, version,
 * length, a dictionary {@code {'descr': '<f4', 'fortran_order': False, 'shape': (rows, dim), }} padded with
 * spaces to a multiple of 64 bytes) followed by the rows, float32 little-endian, C order. With compression
 * and encryption off the object holds exactly these bytes, so {@code numpy.load(path, mmap_mode="r")} on the
 * mount maps it and reads rows lazily, each page fault becoming a ranged chunk download. Inputs may be any
 * {@code .npy} NumPy writes (versions 1.0 to 3.0, any header length) as long as they are {@code '<f4'}
 * matrices in C order; everything else is refused with the reason and, where there is one, the conversion
 * to apply.
 *
 * <p><b>Why a fixed header.</b> The row count is unknown until the producer stops, but rows must go out
 * while they are produced. The header is therefore written first with a provisional shape and a fixed
 * length; row {@code r} always sits at {@code 128 + r * dim * 4}. At completion the header is rewritten in
 * place (same length), which changes only chunk 0: the data chunks already sent are not sent again.
 *
 * <p><b>Upload path.</b> {@link org.streamfs.transfer.embeddings.EmbeddingStore#uploadEmbeddings} pulls
 * vectors from an {@link org.streamfs.transfer.embeddings.EmbeddingSource} (an iterator, a raw float32
 * stream, a {@code .npy} file) and {@code CollectionWriter} appends them through
 * {@link org.streamfs.transfer.embeddings.NpyAppender} (a 1 MiB buffer: memory is flat in the matrix size)
 * to a staging file under the state directory ({@code <state>/embeddings}, 0700). The file is the source of a
 * {@link org.streamfs.transfer.StagedUpload} of the engine, exactly as a file being written in the mount:
 * every chunk 1..n-2 is handed over ({@code markDirty} + {@code chunkComplete}) the moment its last byte is
 * written and uploads in the background while generation goes on, bounded by the engine's upload queue
 * (back-pressure, not memory growth). Chunk 0 (header) and the last, partial chunk are handed over at
 * {@code finish}, then {@code commit(size, metadata)}. Checksums, retries, progress, resume after a crash
 * of a committed upload and rollback are therefore the engine's, not re-implemented here. Validation
 * happens before a row reaches the staging file: a wrong length, a wrong dimension or a non-finite value
 * (unless allowed) throws {@link org.streamfs.transfer.embeddings.EmbeddingFormatException}, the staged
 * upload is aborted and no object, partial or whole, appears; a previous version of the collection is left
 * untouched. Appending to an existing collection stages only chunk 0 and the chunk holding the old end from
 * the existing object; the engine copies the chunks in between server-side from the base version.
 *
 * <p><b>Crashes.</b> The engine records each upload as a staged upload (kind MOUNT_WRITE, staging path
 * in the operation). Killed before the commit (rows were still being read), it is rolled back; killed
 * after, it resumes and sends only the chunks the store does not hold.
 * {@link org.streamfs.transfer.embeddings.EmbeddingStore#recover} ({@code streamfs embeddings resume})
 * does both for this staging directory only, never for the mount's files, and skips uploads still running:
 * each live upload holds an OS lock on {@code <staging>.lock} ({@code StagingLock}), which the kernel
 * drops when the process dies.
 *
 * <p><b>Read path.</b> {@link org.streamfs.transfer.embeddings.RowReader} maps a row range to the chunks
 * holding it and fetches only those, each verified against the engine's manifest, assembling rows that
 * straddle two chunks; rows are handed out one at a time, so one chunk buffer bounds memory whatever the
 * range. A small LRU of verified chunks ({@code ChunkCache}, an eighth of the heap, at most 64 MiB) makes
 * a walk through a collection in batches smaller than a chunk fetch each chunk once. Random single-row
 * reads still cost a whole chunk each (the price of per-chunk verification): collections read mostly at
 * random are best uploaded with a smaller {@code --chunk-size} (see bench/embeddings.sh).
 *
 * <p>Threading: an upload runs on the caller's thread (the engine's uploader threads do the network I/O);
 * {@code EmbeddingStore} holds no lock across I/O (its header cache and the chunk cache are each guarded
 * by themselves alone, never nested).
 */
package org.streamfs.transfer.embeddings;

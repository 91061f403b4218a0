/**
 * The read side of the mount: verified chunks cached on local disk, and read-ahead.
 *
 * <p>{@code ChunkCache} keeps whole chunks as files named by the SHA-256 of (key, version, index), so a new
 * version of an object can never be answered with old bytes; it is bounded by {@code --cache-max-size}
 * with least-recently-used eviction, rebuilt from its directory at start, and fetches each chunk once
 * however many readers wait for it. Chunks are fetched by the engine ({@code fetchChunk}: retries, SHA-256
 * verification against the manifest recorded at upload, one refetch, then ChecksumMismatchException, which
 * the fs reports as EIO: never wrong bytes). {@code ObjectReader} reads byte ranges of a stored version
 * through the cache, touching only the chunks needed; {@code ReadAhead} gives a sequential reader a window
 * that doubles per chunk (1, 2, 4 ... up to a cap) and a random reader none. Prefetches run on a bounded
 * pool and are dropped when it is busy; memory is bounded by the fetch-buffer semaphore.
 *
 * <p>A store whose objects are files on this machine (the local-directory store) is not cached: copying
 * its chunks to a cache on the same disk only doubled the writes of a cold read. {@code ObjectReader} reads
 * such objects in place from the file each handle keeps open ({@code ObjectStore.openLocal}); every chunk is
 * still verified once before its bytes are served ({@code ChunkCache.verify}, remembered in memory), and the
 * read-ahead window verifies ahead, or only pulls the file into the page cache once verified.
 */
package org.streamfs.cache;

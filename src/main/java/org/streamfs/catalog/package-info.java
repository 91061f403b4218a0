/**
 * The catalog: streamfs's local state, kept in one LMDB environment (lmdbjava, byte[] buffers) per state
 * directory.
 *
 * <h2>What is stored</h2>
 *
 * <p>Four databases belong to the catalog itself: {@code operations} (one record per transfer, a
 * {@link org.streamfs.model.StreamingOperation}), {@code chunks} (the chunk index: one
 * {@link org.streamfs.model.ChunkMetadata} per chunk of each operation, with offset, size, SHA-256,
 * whether the store confirmed it, retries and the store's receipt), {@code saga} (the compensations an
 * operation still owes, {@link org.streamfs.catalog.SagaStep}) and {@code meta} (schema version, saga
 * sequence counter). Upper layers get further databases by name through
 * {@link org.streamfs.catalog.Catalog#table(String)} (attribute cache, read-cache index). The key layout
 * is written down once, in {@link org.streamfs.catalog.Keys}: keys are built from the operation id, never
 * from a path, and chunk indexes and saga sequences are fixed-width big-endian, so a prefix scan returns
 * an operation's chunks in index order. Values are JSON with a record version field ({@code "v"}), read
 * and written only by {@code RecordCodec}.
 *
 * <h2>Commit discipline</h2>
 *
 * <p>Every public method is one short transaction, opened and closed (try-with-resources) inside the
 * method with an explicit commit; values are copied out before the transaction ends and decoded after it,
 * so no transaction is ever held across network or disk I/O and callers never see LMDB memory. What must
 * change together is one commit: {@link org.streamfs.catalog.Catalog#checkpoint} writes the confirmed
 * chunk's record and the operation's progress together (the engine calls it after each chunk the store
 * confirmed, so resume re-sends only chunks that were in flight);
 * {@link org.streamfs.catalog.Catalog#putOperationWithChunks} writes an operation with its whole chunk
 * index; {@link org.streamfs.catalog.Catalog#deleteOperation} removes an operation, its chunks and its
 * saga steps together, without decoding them, so a corrupt operation can always be removed and started
 * again. A record that does not decode raises
 * {@link org.streamfs.model.ChunkMetadataCorruptException} naming its operation and what failed;
 * {@link org.streamfs.catalog.Catalog#listOperations} reports such operations next to the good ones
 * instead of failing.
 *
 * <h2>Threads and processes</h2>
 *
 * <p>A {@code Catalog} is thread-safe. The environment is opened with {@code MDB_NOTLS}, so read
 * transactions are not tied to threads (the engine runs on pools); write transactions are serialised by
 * LMDB's own writer lock, which also works across processes. Readers never block writers or each other
 * and see the last commit at the time they begin. So the CLI may open the state directory while a daemon
 * writes to it and watch its checkpoints arrive. LMDB must not be opened twice by the same process, so a
 * second {@code open} of an open directory in one JVM is refused; share the instance. Changing the map
 * size and closing need all of this process's transactions to be finished: {@code CatalogEnv} runs every
 * transaction under the shared side of a read-write lock and takes the exclusive side for those two
 * (lock order: the database-opening monitor, then that lock, then LMDB's writer lock; no thread ever
 * asks for the exclusive side while holding the shared side or an LMDB transaction). The
 * map is 64 GiB of reserved address space (not disk); if it ever fills, it is doubled and the
 * transaction retried, up to 1 TiB, after which the error says the catalog is full. A map grown by
 * another process is adopted when LMDB reports it. Two processes writing the same operation would each
 * overwrite the other's record (last commit wins), so one process at a time should own an operation.
 *
 * <h2>Crash safety</h2>
 *
 * <p>LMDB is copy-on-write with the default (synchronous) commit: when {@code commit()} returns, the data
 * and the new meta page are on disk, and a process killed at any point (SIGKILL, power loss) leaves the
 * previous commit intact; there is no recovery step and no log to replay. A writer lock held by a process
 * that died is recovered by the next writer (robust mutex), and reader slots of dead processes are
 * cleared when the catalog opens. {@code CatalogCrossProcessTest} kills a checkpointing child JVM with
 * SIGKILL and checks that every operation record agrees with its chunk records afterwards. The directory is created with mode 0700 (an existing one is
 * tightened to it) and the files with 0600, since records name keys and local paths.
 */
package org.streamfs.catalog;

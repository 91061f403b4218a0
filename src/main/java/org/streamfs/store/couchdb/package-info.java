/**
 * The CouchDB store: files kept as CouchDB documents, talked to over CouchDB's HTTP API with the JDK
 * {@code HttpClient} and Jackson. It works with Apache CouchDB 2/3 (single node or cluster) and with
 * pouchdb-server, which the tests run.
 *
 * <h2>Store URI and credentials</h2>
 * {@code couchdb://host[:port]/db} (HTTP, port 5984 by default) or {@code couchdbs://host[:port]/db} (HTTPS,
 * port 6984 by default). A longer path ({@code couchdbs://proxy.example/couch/db}) reaches a server behind a
 * reverse proxy path; the last segment is the database. Credentials are never part of the URI (user info is
 * refused): they come from {@code STREAMFS_COUCHDB_USER} + {@code STREAMFS_COUCHDB_PASSWORD}, or from the
 * file named by {@code STREAMFS_COUCHDB_CREDENTIALS}, which holds {@code user:password} on its first line and
 * must not be readable by group or others (0600). They are sent as HTTP Basic on every request and are never
 * logged. Opening the store checks the database: with {@code create} a missing one is created, otherwise the
 * error says "database X does not exist ...; pass --create".
 *
 * <h2>One document per file</h2>
 * The document id is the store key itself, so other CouchDB clients find a file under its path
 * ({@code docs/q3/report.pdf}). CouchDB reserves ids starting with {@code _}; such a key starts with a
 * backslash instead ({@code _notes} is stored as {@code \notes}). Keys never contain a backslash, so the
 * mapping is reversible and keeps prefixes, which makes listing a range scan. Keys are at most 1024 bytes;
 * CouchDB has no smaller limit on ids. The body holds the manifest in a field {@code streamfs}:
 * <pre>
 * { "_id": "docs/q3/report.pdf", "_rev": "3-...",
 *   "streamfs": { "format": 1, "type": "file",            // or "dir" for a directory marker (key ends in /)
 *                 "size": 9437307, "chunkSize": 4194304,
 *                 "chunks": [ {"name": "c000000", "size": 4194304, "sha256": "..."}, ... ],
 *                 "sha256": "... whole file, or null when unknown ...",
 *                 "modified": "2026-11-28T19:00:00Z",
 *                 "metadata": {"mode": "33188", "mtime": "1700000000.0", "uid": "1000", ...},
 *                 "upload": "id of the upload that wrote it, or absent" },
 *   "_attachments": { "c000000": {...}, "c000001": {...}, ... } }
 * </pre>
 * Each chunk is one attachment of at most the chunk size (the part size the engine chose; at most
 * {@link org.streamfs.store.couchdb.CouchDbStore#MAX_PART_SIZE}). The version of an object is the document's
 * {@code _rev}. A read of a range fetches only the attachments it spans, pinned to that revision, each
 * with a {@code Range} header; a server that ignores Range (pouchdb-server always answers 200 with the whole
 * attachment) is handled by skipping and limiting on our side, and a body that ends early is an error, never
 * short or wrong bytes. {@code put} stores small objects in one JSON update with inline (base64)
 * attachments of 4 MiB; {@code updateMetadata} rewrites the body and keeps the attachments as stubs.
 *
 * <h2>Uploads on top of revisions</h2>
 * {@code beginUpload} creates a staging document {@code .streamfs-upload:<uploadId>} (the {@code .streamfs}
 * prefix is reserved, no key can take it) holding the key, the metadata, the start time and the revision the
 * file document had then ({@code baseRev}, null if none). {@code uploadPart} checks the bytes against the
 * SHA-256 it is given, then adds attachment {@code p00001}... and records the part's SHA-256 and size in the
 * staging body, in one update (JSON with an inline base64 attachment: the cheapest form on pouchdb-server, where a
 * standalone attachment PUT of 4 MiB took 0.29 s against 0.07 s inline). Part updates of one upload are serialised inside
 * one process; a 409 from another process re-reads the revision and retries, which is safe because each part
 * has its own attachment name. {@code listParts} reads the staging document: attachment names, lengths and
 * md5 digests are the truth on resume. {@code completeUpload} writes the file document in ONE update over
 * {@code baseRev}: readers see the previous version whole until then, and a writer that got in between
 * (someone else changed or created the document) makes CouchDB answer 409, reported as PRECONDITION_FAILED
 * naming the key; nothing is overwritten and the upload is kept until aborted. A 409 whose current document
 * carries our upload id is our own earlier completion whose answer was lost, and counts as success. The
 * staging document is then deleted; {@code abortUpload} deletes it; {@code listUploads} is an
 * {@code _all_docs} range over the staging prefix. The whole-file SHA-256 in the manifest is the engine's
 * {@code streamfs-sha256} metadata (the per-chunk SHA-256 values are checked by the store at upload).
 *
 * <h2>Moving attachments between documents ({@link org.streamfs.store.couchdb.DocWriter})</h2>
 * CouchDB cannot move or link an attachment from one document to another. Completion and {@code copy} use
 * one of three ways, chosen from the server's welcome message ({@code GET /}):
 * <ul>
 * <li>pouchdb-server keeps attachments in one digest-keyed store per database, so the new document names the
 * existing attachments by digest (stubs): no bytes move, and the staging document or an old version can go
 * away without touching the new file.</li>
 * <li>Apache CouchDB: the staging document is first rewritten into the final one (manifest in the body, only
 * the named parts kept), then copied server-side with {@code COPY} and a {@code Destination: id?rev=baseRev}
 * header; the chunks keep the part names ({@code p00001}...), which the manifest lists. No bytes cross the
 * network and the request is small. The final document also carries the staging header
 * ({@code streamfs-upload}: key, metadata, base revision), which readers ignore.</li>
 * <li>When the id cannot travel raw in that header (non-ASCII, control characters or {@code ?}), or the source
 * of a copy is a foreign document: one {@code multipart/related} PUT of the final document whose attachment
 * bodies are streamed from the source attachments one after another, each checked against its size and
 * SHA-256 on the way (a mismatch aborts the request before its end, so nothing is committed); memory stays at
 * one buffer, but the bytes cross the network twice more (down and up) and the single request is as large as
 * the file, so a real CouchDB needs {@code [chttpd] max_http_request_size} (4 GiB by default) above the
 * largest such file.</li>
 * </ul>
 * The tests run all three ways against pouchdb-server (which implements COPY and multipart/related too).
 *
 * <h2>Documents other clients wrote</h2>
 * A document without our {@code streamfs} field is shown as a folder named by its id holding its attachments
 * as files: document {@code report} with attachments {@code a.pdf} and {@code notes/b.txt} gives the files
 * {@code report/a.pdf} and {@code report/notes/b.txt}; {@code stat("report/")} is a directory. Document ids
 * containing {@code /} nest ({@code shared/doc1} + {@code x.bin} is {@code shared/doc1/x.bin}). To find the
 * bytes of a key, the store first looks for our document with that id, then for foreign documents whose id
 * is a leading part of the key, longest first; where one of ours and a foreign attachment give the same key,
 * ours wins. Such a file's size is the attachment length, its version the document revision, its metadata
 * {@code content-type}; its modification time is unknown (epoch). A document without attachments shows
 * nothing, and ids that are not valid keys ({@code _design/...}, ids with {@code //} or a backslash inside)
 * are skipped. streamfs never modifies a foreign document: deleting one of its files, changing its metadata
 * or writing a file whose key is the document's id fails with ACCESS_DENIED; it can be copied into a file of
 * our own.
 *
 * <h2>What is not done</h2>
 * No retries inside (RetryingStore does that). Parts of one upload are sent one at a time (they update one
 * staging document), so parallel chunks help only across files. No handling of {@code _conflicts} left by
 * replication or cluster partitions: the winning revision is the file. No compaction: old revisions keep
 * their attachments on disk until the database is compacted ({@code POST /db/_compact}; CouchDB 3 does it
 * automatically). Not tried against Apache CouchDB itself (none on this machine): the COPY and
 * multipart/related paths follow its documented API and were run against pouchdb-server only.
 */
package org.streamfs.store.couchdb;

package org.streamfs.transfer.embeddings;

/**
 * What is known about a stored collection: its name and store key, shape (rows, dim), object size, the
 * whole-file SHA-256 recorded by the engine (null when unknown, e.g. an object another tool wrote), the
 * chunk size it was uploaded with, its version, and the length of its {@code .npy} header.
 */
public record EmbeddingInfo(String collection, String key, long rows, int dim, long size, String sha256,
    long chunkSize, String version, int headerLength) {}

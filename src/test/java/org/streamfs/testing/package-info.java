/**
 * Test doubles shared by every test: {@link org.streamfs.testing.MemoryStore} (a complete in-memory store
 * that passes the store contract, for fast engine tests), {@link org.streamfs.testing.FaultyStore} (wraps a
 * real store to fail, delay or corrupt chosen calls and count them) and {@link org.streamfs.testing.ManualClock}
 * (time that moves only when told). Faults are injected around real components, never by mocking their
 * insides.
 */
package org.streamfs.testing;

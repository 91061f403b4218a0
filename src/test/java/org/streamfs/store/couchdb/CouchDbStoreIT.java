package org.streamfs.store.couchdb;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.streamfs.store.ObjectStore;
import org.streamfs.store.ObjectStoreContract;
import org.streamfs.store.Stores;
import org.streamfs.testing.PouchDbServer;

/**
 * The store contract against a real pouchdb-server, each test in a fresh database opened through
 * {@link Stores#open} (so the URI scheme wiring is covered too).
 */
class CouchDbStoreIT extends ObjectStoreContract {
  private static PouchDbServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = CouchDbTestSupport.startServer();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected ObjectStore newStore() throws Exception {
    return Stores.open(server.storeUri(CouchDbTestSupport.newDbName()).toString(), true);
  }

  @Override
  protected void cleanUp(ObjectStore store) throws Exception {
    CouchDbTestSupport.raw("DELETE", server.url() + ((CouchDbStore) store).http().db(), null, null);
  }
}

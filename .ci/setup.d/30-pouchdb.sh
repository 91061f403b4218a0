# Sourced by .ci/run (bash, set -euo pipefail). Installs pouchdb-server 4.2.0 (a CouchDB-compatible server,
# LevelDB on disk) for the CouchDB store's *IT tests, which start and stop it themselves through
# org.streamfs.testing.PouchDbServer. Idempotent: node/npm come from Debian only if missing, and the npm
# install (4-6 minutes on a cold cache) is skipped when the cache directory already holds it.
STREAMFS_POUCHDB_HOME="${STREAMFS_POUCHDB_HOME:-/var/cache/streamfs-ci/pouchdb}"
export STREAMFS_POUCHDB_HOME

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ci: installing nodejs and npm from Debian"
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi

if [ ! -f "$STREAMFS_POUCHDB_HOME/node_modules/pouchdb-server/bin/pouchdb-server" ] \
    || ! grep -q '"version": "4.2.0"' "$STREAMFS_POUCHDB_HOME/node_modules/pouchdb-server/package.json"; then
  echo "ci: installing pouchdb-server 4.2.0 into $STREAMFS_POUCHDB_HOME (takes a few minutes)"
  mkdir -p "$STREAMFS_POUCHDB_HOME"
  (
    cd "$STREAMFS_POUCHDB_HOME"
    [ -f package.json ] || npm init -y >/dev/null
    npm install --no-audit --no-fund --loglevel=error pouchdb-server@4.2.0 >/dev/null
  )
fi
echo "ci: pouchdb-server $(node -p "require('$STREAMFS_POUCHDB_HOME/node_modules/pouchdb-server/package.json').version") in $STREAMFS_POUCHDB_HOME"

#!/usr/bin/env bash
# Benchmark of the CouchDB store (issue 6): `streamfs put` and `streamfs get` of one file on pouchdb-server
# 4.2.0 against the local-directory store, in the same run. Reports seconds, MiB/s, the peak RSS of the
# streamfs JVM and of the pouchdb-server process, and the server's CPU seconds.
# Usage: bench/couchdb.sh [SIZE_MIB (default 256)] [RUNS (default 1)] [CHUNK (e.g. 4M; default: engine's choice)]
# Needs node and pouchdb-server in $STREAMFS_POUCHDB_HOME (default /var/cache/streamfs-ci/pouchdb; see
# .ci/setup.d/30-pouchdb.sh). The server runs on a free port of 127.0.0.1 and is stopped by PID at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
. "$here/lib.sh"
size_mib=${1:-256}; runs=${2:-1}; chunk=${3:-}
pouch_home="${STREAMFS_POUCHDB_HOME:-/var/cache/streamfs-ci/pouchdb}"
server_js="$pouch_home/node_modules/pouchdb-server/bin/pouchdb-server"
[ -f "$server_js" ] || { echo "bench: pouchdb-server not found in $pouch_home (run .ci/setup.d/30-pouchdb.sh)" >&2; exit 1; }
command -v bc >/dev/null || { apt-get install -y -qq bc >/dev/null; }
scratch=$(mktemp -d /var/tmp/streamfs-bench-couchdb.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$scratch/couch"
(cd "$scratch/couch" && exec node "$server_js" --host 127.0.0.1 --port "$port" --dir "$scratch/couch" \
  --config "$scratch/couch/config.json" --no-color > "$scratch/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$server_pid" 2>/dev/null || { echo "bench: pouchdb-server died:" >&2; cat "$scratch/server.log" >&2; exit 1; }
  sleep 0.1
done
cpu_of() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }   # utime + stime, assuming 100 Hz ticks

"$root/bin/streamfs" --version >/dev/null   # builds the jar once, outside the timings
head -c $((size_mib * 1048576)) /dev/urandom > "$scratch/src"
bytes=$((size_mib * 1048576))
opts=(-q); [ -n "$chunk" ] && opts+=(--chunk-size "$chunk")
# env execs the launcher, which execs java: the PID measure() samples is the streamfs JVM itself.
sf() { local store=$1; shift; measure m env STREAMFS_PLAIN_PROGRESS=1 "$root/bin/streamfs" "$@" --store "$store" \
  --create-store --state-dir "$scratch/state" "${opts[@]}" > /dev/null; }
mkdir -p "$scratch/store"
couch="couchdb://127.0.0.1:$port/bench"
declare -a lp_t lg_t cp_t cg_t lp_r lg_r cp_r cg_r cp_cpu cg_cpu
for r in $(seq 1 "$runs"); do
  sf "file://$scratch/store" put "$scratch/src" "k$r"; lp_t+=("${m% *}"); lp_r+=("${m#* }")
  sf "file://$scratch/store" get "k$r" "$scratch/out$r"; lg_t+=("${m% *}"); lg_r+=("${m#* }")
  cmp -s "$scratch/src" "$scratch/out$r" || { echo "bench: local get $r differs from the source" >&2; exit 1; }
  rm -f "$scratch/out$r"
  c0=$(cpu_of "$server_pid")
  sf "$couch" put "$scratch/src" "k$r"; cp_t+=("${m% *}"); cp_r+=("${m#* }")
  c1=$(cpu_of "$server_pid")
  sf "$couch" get "k$r" "$scratch/out$r"; cg_t+=("${m% *}"); cg_r+=("${m#* }")
  c2=$(cpu_of "$server_pid")
  cmp -s "$scratch/src" "$scratch/out$r" || { echo "bench: couchdb get $r differs from the source" >&2; exit 1; }
  cp_cpu+=("$(echo "$c1 - $c0" | bc -l)"); cg_cpu+=("$(echo "$c2 - $c1" | bc -l)")
  rm -f "$scratch/out$r"
done
server_hwm=$(hwm_of "$server_pid")
chunk_used=$(curl -sf "http://127.0.0.1:$port/bench/k1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["streamfs"]["chunkSize"])')
lp=$(median "${lp_t[@]}"); lg=$(median "${lg_t[@]}"); cp=$(median "${cp_t[@]}"); cg=$(median "${cg_t[@]}")
echo "# couchdb benchmark: ${size_mib} MiB, chunks of $((chunk_used / 1048576)) MiB, $runs run(s), medians ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| %-32s | %8s | %9s | %12s | %15s |\n' operation seconds "MiB/s" "JVM RSS MiB" "server CPU s"
printf '|%s|%s|%s|%s|%s|\n' ---------------------------------- ---------- ----------- -------------- -----------------
printf '| %-32s | %8.2f | %9s | %12s | %15s |\n' "streamfs put, local store" "$lp" "$(mbps $bytes $lp)" "$(( $(median "${lp_r[@]}") / 1024 ))" "-"
printf '| %-32s | %8.2f | %9s | %12s | %15s |\n' "streamfs get, local store" "$lg" "$(mbps $bytes $lg)" "$(( $(median "${lg_r[@]}") / 1024 ))" "-"
printf '| %-32s | %8.2f | %9s | %12s | %15s |\n' "streamfs put, pouchdb-server" "$cp" "$(mbps $bytes $cp)" "$(( $(median "${cp_r[@]}") / 1024 ))" "$(median "${cp_cpu[@]}")"
printf '| %-32s | %8.2f | %9s | %12s | %15s |\n' "streamfs get, pouchdb-server" "$cg" "$(mbps $bytes $cg)" "$(( $(median "${cg_r[@]}") / 1024 ))" "$(median "${cg_cpu[@]}")"
echo "pouchdb-server peak RSS: $(( server_hwm / 1024 )) MiB; its data dir: $(du -sm "$scratch/couch" | cut -f1) MiB"

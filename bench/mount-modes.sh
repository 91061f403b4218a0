#!/usr/bin/env bash
# Mount throughput per store and codec mode (issues 6 and 7), in one run: for each configuration a fresh
# `streamfs mount`, `cp` of SIZE MiB of random data into it (seconds until cp returns, and until
# `streamfs sync` says the store holds it), then a fresh mount with an empty cache and a cold `dd` read.
# Configurations: local store plain / zstd-3 / AES-256-GCM / zstd-3+AES, and pouchdb-server (plain, 4 MiB
# chunks) when it is installed (STREAMFS_POUCHDB_HOME, see .ci/setup.d/30-pouchdb.sh).
# Usage: bench/mount-modes.sh [SIZE_MIB (default 256)]   (as root: FUSE, drop_caches)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
. "$here/lib.sh"
size_mib=${1:-256}
bytes=$((size_mib * 1048576))
sf="$root/bin/streamfs"
"$sf" --version >/dev/null
export STREAMFS_JAVA_OPTS="-Xmx256m -XX:+UseSerialGC"
scratch=$(mktemp -d /var/tmp/streamfs-bench-modes.XXXXXX)
chmod 700 "$scratch"
mnt="$scratch/mnt"; mkdir -p "$mnt"
pouch=""
cleanup() {
  mountpoint -q "$mnt" && { "$sf" umount --no-wait "$mnt" >/dev/null 2>&1 || fusermount3 -u "$mnt" || umount -l "$mnt"; }
  [ -n "$pouch" ] && kill "$pouch" 2>/dev/null && wait "$pouch" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
head -c "$bytes" /dev/urandom > "$scratch/src"
head -c 32 /dev/urandom > "$scratch/key"; chmod 600 "$scratch/key"

configs=("local-plain|file://$scratch/s1|"
         "local-zstd3|file://$scratch/s2|--compress 3"
         "local-aes|file://$scratch/s3|--encrypt-key-file $scratch/key"
         "local-zstd3+aes|file://$scratch/s4|--compress 3 --encrypt-key-file $scratch/key")
ph="${STREAMFS_POUCHDB_HOME:-/var/cache/streamfs-ci/pouchdb}"
if [ -x "$(command -v node)" ] && [ -f "$ph/node_modules/pouchdb-server/bin/pouchdb-server" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$scratch/couch"
  (cd "$scratch/couch" && exec node "$ph/node_modules/pouchdb-server/bin/pouchdb-server" --host 127.0.0.1 \
    --port "$port" --dir "$scratch/couch" --config "$scratch/couch/config.json" --no-color >/dev/null 2>&1) &
  pouch=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  configs+=("pouchdb-plain|couchdb://127.0.0.1:$port/bench|--chunk-size 4M")
fi

echo "# mount modes: ${size_mib} MiB random data ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| %-16s | %9s | %10s | %15s | %8s | %10s | %12s |\n' config "close s" "in store s" "write MiB/s" "read s" "read MiB/s" "stored MiB"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------------ ----------- ------------ ----------------- ---------- ------------ --------------
n=0
for c in "${configs[@]}"; do
  n=$((n + 1))
  IFS='|' read -r name store opts <<<"$c"
  # shellcheck disable=SC2086
  "$sf" mount --store "$store" --state-dir "$scratch/state$n-w" $opts "$mnt" >/dev/null
  t0=$(date +%s.%N)
  cp "$scratch/src" "$mnt/f"
  t1=$(date +%s.%N)
  "$sf" sync "$mnt" >/dev/null 2>&1
  t2=$(date +%s.%N)
  "$sf" umount "$mnt" >/dev/null
  sync; echo 3 > /proc/sys/vm/drop_caches
  # shellcheck disable=SC2086
  "$sf" mount --store "$store" --state-dir "$scratch/state$n-r" $opts "$mnt" >/dev/null
  t3=$(date +%s.%N)
  dd if="$mnt/f" of=/dev/null bs=1M status=none
  t4=$(date +%s.%N)
  cmp -s "$scratch/src" "$mnt/f" || { echo "bench: $name read back differs" >&2; exit 1; }
  "$sf" umount "$mnt" >/dev/null
  stored="-"
  case "$store" in file://*) stored=$(( $(du -sb "${store#file://}" | cut -f1) / 1048576 ));; esac
  close=$(echo "$t1 - $t0" | bc -l); held=$(echo "$t2 - $t0" | bc -l); rd=$(echo "$t4 - $t3" | bc -l)
  printf '| %-16s | %9.2f | %10.2f | %15s | %8.2f | %10s | %12s |\n' "$name" "$close" "$held" \
    "$(mbps $bytes $held)" "$rd" "$(mbps $bytes $rd)" "$stored"
done

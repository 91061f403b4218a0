#!/usr/bin/env bash
# Thread-model measurement for native-notes/README.md: the streamfs mount with libfuse2's multi-threaded
# loop (default) against the single-threaded one (-s, hidden --single-threaded), on a local store:
# sequential write and read of SIZE_MB, and the stall test (8 parallel cold reads while the store takes
# 1 s per read; ls meanwhile). Usage: bench/threads.sh [SIZE_MB]   (needs target/streamfs-all.jar, root)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
jar="${STREAMFS_JAR:-$here/target/streamfs-all.jar}"
size="${1:-512}"
work="$(mktemp -d /tmp/streamfs-threads.XXXXXX)"
pids=()
cleanup() {
  for m in "$work"/*/mnt; do mountpoint -q "$m" 2>/dev/null && fusermount3 -u "$m" || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
mnt_up() { # NAME ARGS...
  local d="$work/$1"; shift
  mkdir -p "$d/store" "$d/mnt"
  java -Xmx256m -XX:+UseSerialGC -jar "$jar" mount --foreground --store "file://$d/store" --state-dir "$d/state" \
    --chunk-size 8M "$@" "$d/mnt" > "$d/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do getfattr -n user.streamfs.statedir "$d/mnt" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "mount failed: $(tail -3 "$d/log")" >&2; return 1
}
mnt_down() { fusermount3 -u "$work/$1/mnt"; sleep 1; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }

printf '%-16s %12s %12s %14s %12s\n' "loop" "write MB/s" "read MB/s" "8 slow reads s" "ls during s"
for mode in multi single; do
  extra=(); [ "$mode" = single ] && extra=(--single-threaded)
  mnt_up "$mode" "${extra[@]}"
  d="$work/$mode"
  t0=$(now); dd if=/dev/zero of="$d/mnt/big" bs=1M count="$size" status=none; t1=$(now)
  java -jar "$jar" sync "$d/mnt" >/dev/null
  for i in $(seq 1 8); do head -c 1000000 /dev/urandom > "$d/mnt/s$i"; done
  java -jar "$jar" sync "$d/mnt" >/dev/null
  mnt_down "$mode"; rm -rf "$d/state/cache"; sync; echo 3 > /proc/sys/vm/drop_caches || true
  mnt_up "$mode" "${extra[@]}"
  t2=$(now); dd if="$d/mnt/big" of=/dev/null bs=1M status=none; t3=$(now)
  mnt_down "$mode"
  mnt_up "$mode" "${extra[@]}" --test-read-latency-ms 1000
  t4=$(now)
  cats=()
  for i in $(seq 1 8); do cat "$d/mnt/s$i" > /dev/null & cats+=($!); done
  sleep 0.2; t6=$(now); ls -l "$d/mnt" > /dev/null; t7=$(now)
  wait "${cats[@]}"
  t5=$(now)
  mnt_down "$mode"
  printf '%-16s %12s %12s %14.2f %12.2f\n' "$mode" "$(rate $((size*1048576)) "$(echo "$t1 - $t0" | bc)")" \
    "$(rate $((size*1048576)) "$(echo "$t3 - $t2" | bc)")" "$(echo "$t5 - $t4" | bc)" "$(echo "$t7 - $t6" | bc)"
done

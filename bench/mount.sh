#!/usr/bin/env bash
# Mount benchmark (issue 3, item 8): plain disk vs the streamfs mount vs `rclone mount --vfs-cache-mode
# writes`, all over the same kind of local-directory store on this machine, one run each, as root:
#   sequential write of SIZE with cp (until cp returns, and until the store holds the file byte for byte),
#   on a fresh daemon and again on the same daemon after that first file (the JVM has compiled its hot
#   paths by then: on 2 cores the JIT compiler takes a fifth of the CPU during the first GiB),
#   cold sequential read (page cache dropped, file never read through the mount) on the running daemon and
#   on a fresh mount, warm sequential read, fio 4 KiB random reads (10 s),
#   ls -l of 10,000 entries (cold, warm), mv of the SIZE file and of the 10,000-entry directory inside the
#   mount, and the daemon's peak RSS writing SIZE and 4xSIZE.
# Prints a table with the ratios streamfs/rclone and streamfs/plain. Usage: bench/mount.sh [SIZE_MB=1024]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
jar="${STREAMFS_JAR:-$here/target/streamfs-all.jar}"
size_mb="${1:-1024}"
work="$(mktemp -d /tmp/streamfs-bench.XXXXXX)"
daemon=""
cleanup() {
  for m in "$work"/*/mnt; do mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" || umount -l "$m"; } || true; done
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
sub() { echo "$1 - $2" | bc; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }

up() { # KIND [MOUNT ARGS...] -> mounts $work/KIND/mnt over $work/KIND/store, sets $daemon
  local k="$1" d="$work/$1"
  shift
  mkdir -p "$d/store" "$d/mnt" "$d/cache"
  case "$k" in
    plain) daemon=""; return 0 ;;
    streamfs)
      java -Xmx256m -XX:+UseSerialGC -Dfile.encoding=UTF-8 -jar "$jar" mount --foreground \
        --store "file://$d/store" --state-dir "$d/state" "$@" "$d/mnt" > "$d/log" 2>&1 &
      ;;
    rclone)
      rclone mount "$d/store" "$d/mnt" --vfs-cache-mode writes --cache-dir "$d/cache" --log-file "$d/log" \
        --log-level ERROR &
      ;;
  esac
  daemon=$!
  for _ in $(seq 1 300); do mountpoint -q "$d/mnt" && [ -d "$d/mnt/." ] && return 0; sleep 0.05; done
  echo "$k did not mount: $(tail -3 "$d/log")" >&2; exit 1
}
down() { [ -n "$daemon" ] || return 0; fusermount3 -u "$work/$1/mnt" || umount -l "$work/$1/mnt"; wait "$daemon" 2>/dev/null || true; daemon=""; }
target() { [ "$1" = plain ] && echo "$work/plain/store" || echo "$work/$1/mnt"; }
peak_rss() { # PID -> samples VmRSS (kB) every 100 ms until the file flag disappears
  local pid="$1" flag="$2" peak=0 v
  while [ -e "$flag" ]; do
    v=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v
    sleep 0.1
  done
  echo "$peak"
}
write_case() { # KIND FILE SRC -> "returned held" seconds; PEAK_KB in $work/peak
  local k="$1" f="$2" src="$3" t d="$work/$1" flag="$work/sampling"
  touch "$flag"; if [ -n "$daemon" ]; then peak_rss "$daemon" "$flag" > "$work/peak" & fi
  t=$(now)
  cp "$src" "$(target "$k")/$f"; [ "$k" = plain ] && sync
  local ret; ret=$(sub "$(now)" "$t")
  # streamfs publishes an object by renaming it into place after every part is fsynced, so its full size
  # in the store is the moment the store holds it (cmp runs after, untimed: a mismatch fails the run);
  # rclone writes the destination in place (preallocated), so only cmp can tell, and is timed
  local want; want=$(stat -c %s "$src")
  if [ "$k" = streamfs ]; then
    until [ "$(stat -c %s "$d/store/$f" 2>/dev/null)" = "$want" ]; do sleep 0.05; done
  else
    until cmp -s "$src" "$d/store/$f" 2>/dev/null; do sleep 0.1; done
  fi
  local held; held=$(sub "$(now)" "$t")
  cmp "$src" "$d/store/$f" >&2 || { echo "$k: the store's $f differs from the source" >&2; exit 1; }
  rm -f "$flag"; wait 2>/dev/null || true
  echo "$ret $held"
}

echo "preparing ${size_mb} MiB and $((4 * size_mb)) MiB test files and 10,000 small files..." >&2
head -c "$((size_mb * 1048576))" /dev/urandom > "$work/src1"
head -c "$((size_mb * 1048576))" /dev/urandom > "$work/src2"
for _ in 1 2 3 4; do cat "$work/src1"; done > "$work/src4"
declare -A R
for k in plain rclone streamfs; do
  echo "== $k" >&2
  up "$k"
  read -r R[$k,wret] R[$k,wheld] < <(write_case "$k" w1 "$work/src1")
  R[$k,rss1]=$([ -s "$work/peak" ] && [ "$k" != plain ] && cat "$work/peak" || echo -)
  read -r R[$k,wret2] R[$k,wheld2] < <(write_case "$k" w2 "$work/src2")
  read -r _ _ < <(write_case "$k" w4 "$work/src4")
  R[$k,rss4]=$([ -s "$work/peak" ] && [ "$k" != plain ] && cat "$work/peak" || echo -)
  rm -f "$(target "$k")/w4"
  mkdir -p "$work/$k/store/many"
  for i in $(seq 1 10000); do echo "$i" > "$work/$k/store/many/f$i"; done
  drop
  t=$(now); dd if="$(target "$k")/w2" of=/dev/null bs=1M status=none; R[$k,cold2]=$(sub "$(now)" "$t")
  down "$k"; drop; up "$k"
  t=$(now); dd if="$(target "$k")/w1" of=/dev/null bs=1M status=none; R[$k,cold]=$(sub "$(now)" "$t")
  t=$(now); dd if="$(target "$k")/w1" of=/dev/null bs=1M status=none; R[$k,warm]=$(sub "$(now)" "$t")
  R[$k,iops]=$(fio --name=rr --rw=randread --bs=4k --runtime=10 --time_based --numjobs=1 --ioengine=psync \
    --readonly --filename="$(target "$k")/w1" --output-format=json 2>/dev/null \
    | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))')
  down "$k"; drop; up "$k"
  t=$(now); ls -l "$(target "$k")/many" > /dev/null; R[$k,lscold]=$(sub "$(now)" "$t")
  t=$(now); ls -l "$(target "$k")/many" > /dev/null; R[$k,lswarm]=$(sub "$(now)" "$t")
  # renames inside the mount: the 1 GiB file, then the directory of 10,000 files (mv returns when done)
  t=$(now); mv "$(target "$k")/w1" "$(target "$k")/w1.moved"; R[$k,mvfile]=$(sub "$(now)" "$t")
  t=$(now); mv "$(target "$k")/many" "$(target "$k")/many.moved"; R[$k,mvdir]=$(sub "$(now)" "$t")
  [ "$(ls "$work/$k/store/many.moved" | wc -l)" = 10000 ] && [ ! -e "$work/$k/store/many" ] \
    || { echo "$k: the store does not show the renamed directory" >&2; exit 1; }
  mv "$(target "$k")/many.moved" "$(target "$k")/many"
  down "$k"
  if [ "$k" = streamfs ]; then # the same with -o noxattr (no per-entry xattr probes); other columns: plain
    drop; up streamfs -o noxattr
    t=$(now); ls -l "$(target "$k")/many" > /dev/null; R[$k,lsxcold]=$(sub "$(now)" "$t")
    t=$(now); ls -l "$(target "$k")/many" > /dev/null; R[$k,lsxwarm]=$(sub "$(now)" "$t")
    down "$k"
  fi
done
R[plain,lsxcold]=${R[plain,lscold]}; R[plain,lsxwarm]=${R[plain,lswarm]}
R[rclone,lsxcold]=${R[rclone,lscold]}; R[rclone,lsxwarm]=${R[rclone,lswarm]}

row() { # LABEL KEY UNIT HIGHER_IS_BETTER
  local p="${R[plain,$2]}" r="${R[rclone,$2]}" s="${R[streamfs,$2]}"
  local vr vp
  vr=$(awk -v a="$s" -v b="$r" 'BEGIN { if (b+0 == 0 || a == "-") print "-"; else printf "%.2fx", a / b }')
  vp=$(awk -v a="$s" -v b="$p" 'BEGIN { if (b+0 == 0 || a == "-" || b == "-") print "-"; else printf "%.2fx", a / b }')
  printf '| %-38s | %10s | %10s | %10s | %16s | %16s |\n' "$1 ($3)" "$p" "$r" "$s" "$vr" "$vp"
}
echo
echo "streamfs mount benchmark: ${size_mb} MiB file, $(date -u +%F) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-38s | %10s | %10s | %10s | %16s | %16s |\n' "measure" "plain" "rclone" "streamfs" "streamfs/rclone" "streamfs/plain"
echo "|---|---|---|---|---|---|"
row "cp: until cp returns, fresh daemon" wret s
row "cp: until the store holds it, fresh" wheld s
row "cp: until cp returns, running daemon" wret2 s
row "cp: until the store holds it, running" wheld2 s
row "cold sequential read, running daemon" cold2 s
row "cold sequential read, fresh daemon" cold s
row "warm sequential read" warm s
row "fio 4 KiB random read" iops IOPS
row "ls -l 10,000 entries, cold" lscold s
row "ls -l 10,000 entries, warm" lswarm s
row "ls -l 10,000, cold, streamfs -o noxattr" lsxcold s
row "ls -l 10,000, warm, streamfs -o noxattr" lsxwarm s
row "mv of the ${size_mb} MiB file in the mount" mvfile s
row "mv of a directory of 10,000 files" mvdir s
row "daemon peak RSS writing ${size_mb} MiB" rss1 kB
row "daemon peak RSS writing $((4 * size_mb)) MiB" rss4 kB
echo "(times: lower is better; IOPS: higher is better)"

#!/usr/bin/env bash
# Benchmark of many small files on S3: in one run against one S3Proxy 4.1.0 (filesystem-nio2, 127.0.0.1),
# N_FILES files of 4 KiB in 100 directories through FUSE mounts of the same bucket: `s3fs` (Debian),
# `rclone mount` (s3 remote, --vfs-cache-mode writes), and `streamfs mount`, now (this tree's jar) and,
# when STREAMFS_BEFORE_JAR is set, an earlier streamfs jar (e.g. one built before the per-object manifest
# sidecar `<prefix>.streamfs/manifests/<sha256(key)>` was written to the store):
#   cp        seconds until `cp -r` of the tree into a fresh mount returns
#   stored    seconds from the start of `cp` until the bucket holds every file: for streamfs until
#             `bin/streamfs sync MOUNTPOINT` returns (JVM start included), for the others until the
#             bucket's directory on disk holds N_FILES files of 4 KiB (polled every 0.2 s)
#   ls -lR    seconds of `ls -lR` of the tree on a fresh mount (fresh cache/state dir, dropped page cache)
#   cat       seconds of `find -type f -exec cat {} +` of the tree on another fresh mount (bytes counted)
#   RSS       peak resident set (VmHWM) of the mount daemon over the three mounts
# With S3_REQUESTS=1, S3Proxy logs at debug level and the script prints its requests per phase by method
# (those for streamfs's manifest sidecars and its other .streamfs/ objects counted apart).
# Credentials go to each tool through a 0600 file or the environment, never its command line.
# Usage: [STREAMFS_BEFORE_JAR=/path/streamfs-all.jar] [STREAMFS_NOW_JAR=...] [S3_REQUESTS=1] \
#        bench/small-files.sh [N_FILES (default 10000)] [RUNS (default 1)]   (as root: drop_caches, FUSE)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
. "$here/lib.sh"
n_files=${1:-10000}; runs=${2:-1}
n_dirs=100; [ "$n_files" -lt "$n_dirs" ] && n_dirs=$n_files
fsize=4096
for t in s3fs rclone curl bc java python3; do command -v "$t" >/dev/null || { echo "bench: $t is missing" >&2; exit 1; }; done
jar_s3proxy="$root/target/s3proxy/s3proxy-4.1.0-jar-with-dependencies.jar"
[ -s "$jar_s3proxy" ] || jar_s3proxy="$HOME/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar"
[ -s "$jar_s3proxy" ] || { echo "bench: S3Proxy jar missing: run .ci/setup.d/20-s3proxy.sh" >&2; exit 1; }
if [ -z "${STREAMFS_NOW_JAR:-}" ]; then
  "$root/bin/streamfs" --version >/dev/null   # builds this tree's jar once, outside the timings
  STREAMFS_NOW_JAR="$root/target/streamfs-all.jar"
fi
declare -A jar_of=([streamfs]="$STREAMFS_NOW_JAR")
tools=(s3fs rclone)
if [ -n "${STREAMFS_BEFORE_JAR:-}" ]; then
  [ -s "$STREAMFS_BEFORE_JAR" ] || { echo "bench: $STREAMFS_BEFORE_JAR missing" >&2; exit 1; }
  jar_of[sf-before]="$STREAMFS_BEFORE_JAR"; tools+=(sf-before)
fi
tools+=(streamfs)
for t in "${!jar_of[@]}"; do [ -s "${jar_of[$t]}" ] || { echo "bench: ${jar_of[$t]} missing" >&2; exit 1; }; done

scratch=$(mktemp -d /var/tmp/streamfs-bench-small.XXXXXX)
chmod 700 "$scratch"
mnt="$scratch/mnt"; mkdir -p "$mnt" "$scratch/data/bench" "$scratch/rc-cache"
s3pid=""; daemon=""
cleanup() {
  mountpoint -q "$mnt" && { fusermount3 -u "$mnt" 2>/dev/null || fusermount -u "$mnt" 2>/dev/null || umount -l "$mnt"; }
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null && wait "$s3pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

key=bench-key; secret="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
umask 077
cat > "$scratch/s3proxy.conf" <<P
s3proxy.endpoint=$endpoint
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$scratch/data
P
umask 022
s3_log_level=info; [ "${S3_REQUESTS:-0}" = 1 ] && s3_log_level=debug
LOG_LEVEL=$s3_log_level JETTY_LOG_LEVEL=info java -Xmx256m -XX:+UseSerialGC -jar "$jar_s3proxy" \
  --properties "$scratch/s3proxy.conf" > "$scratch/s3proxy.log" 2>&1 &
s3pid=$!
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$endpoint/healthz" && break
  kill -0 "$s3pid" 2>/dev/null || { echo "bench: S3Proxy died" >&2; cat "$scratch/s3proxy.log" >&2; exit 1; }
  sleep 0.1
done
# The bucket is the directory "bench" under basedir. Credential files, 0600:
umask 077
printf '%s:%s\n' "$key" "$secret" > "$scratch/passwd-s3fs"
cat > "$scratch/rclone.conf" <<R
[s3b]
type = s3
provider = Other
env_auth = false
access_key_id = $key
secret_access_key = $secret
endpoint = $endpoint
force_path_style = true
R
umask 022

wait_mounted() {
  for _ in $(seq 1 600); do
    mountpoint -q "$mnt" && return 0
    kill -0 "$daemon" 2>/dev/null || { echo "bench: $1 mount failed" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: $1 did not mount" >&2; return 1
}

# mount_<tool>: mounts the bucket on $mnt in the foreground in the background, sets $daemon to its PID.
mount_s3fs() {
  s3fs bench "$mnt" -f -o url="$endpoint" -o use_path_request_style -o passwd_file="$scratch/passwd-s3fs" \
    > "$scratch/s3fs.log" 2>&1 &
  daemon=$!; wait_mounted s3fs
}
mount_rclone() {
  env -u AWS_CA_BUNDLE rclone mount s3b:bench "$mnt" --config "$scratch/rclone.conf" --vfs-cache-mode writes \
    --cache-dir "$scratch/rc-cache" --log-file "$scratch/rclone.log" --log-level INFO &
  daemon=$!; wait_mounted rclone
}
streamfs_cli() {  # streamfs_cli TOOL ARGS...: this tree's launcher running TOOL's jar
  local t=$1; shift
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_EC2_METADATA_DISABLED=true \
    STREAMFS_JAR="${jar_of[$t]}" STREAMFS_JAVA_OPTS="-Xmx256m" "$root/bin/streamfs" "$@"
}
mount_streamfs() {  # a plain command in the background, so that $daemon is the JVM (the launcher execs it)
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_EC2_METADATA_DISABLED=true \
    STREAMFS_JAR="${jar_of[$tool]}" STREAMFS_JAVA_OPTS="-Xmx256m" "$root/bin/streamfs" mount --foreground \
    --store "s3://bench/?endpoint=$endpoint&region=us-east-1" --state-dir "$scratch/sf-state-$phase" "$mnt" \
    > "$scratch/$tool.log" 2>&1 &
  daemon=$!; wait_mounted "$tool"
}
mount_sf-before() { mount_streamfs; }
unmount() {  # raises $hwm to the daemon's peak RSS (KiB), unmounts, waits for the daemon to exit
  local h; h=$(hwm_of "$daemon"); [ "$h" -gt "$hwm" ] && hwm=$h
  fusermount3 -u "$mnt" 2>/dev/null || fusermount -u "$mnt"
  wait "$daemon" 2>/dev/null || true
  daemon=""
}
fresh() {  # no bucket, no client cache or state left from the previous phase
  rm -rf "$scratch/rc-cache" "$scratch"/sf-state-*; mkdir -p "$scratch/rc-cache"
}
drop_caches() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches || true; }
stored_files() {  # files of $fsize bytes the bucket holds outside streamfs's own .streamfs/ area
  find "$scratch/data/bench" -name .streamfs -prune -o -type f -size "${fsize}c" -print | wc -l
}
elapsed() { echo "$2 - $1" | bc -l; }

# S3Proxy requests per phase (S3_REQUESTS=1): its debug log's "request: ... {METHOD@id URL HTTP/1.1}" lines
# since line $1, by method and kind: list (bucket GET), mpu (multipart calls), manifest (streamfs's manifest
# sidecars, .streamfs/manifests/), .streamfs (its other objects there: the upload ledger).
log_mark() { wc -l < "$scratch/s3proxy.log"; }
requests() {
  [ "${S3_REQUESTS:-0}" = 1 ] || return 0
  tail -n +"$(($1 + 1))" "$scratch/s3proxy.log" \
    | sed -n 's/.*request: .*{\([A-Z]*\)@[0-9a-f]* http:\/\/[^/]*\(\/[^ ]*\) HTTP.*/\1 \2/p' \
    | awk '{k = $1; path = $2; sub(/\?.*/, "", path)
            if (path ~ /^\/bench\/?$/) k = k " list"
            else if ($2 ~ /[?&](uploads|uploadId|partNumber)/) k = k " mpu"
            if ($2 ~ /\.streamfs\/manifests\//) k = k " manifest"
            else if ($2 ~ /\.streamfs\//) k = k " .streamfs"
            c[k]++}
           END {for (k in c) printf "%s %d, ", k, c[k]}' | sed 's/, $//'
}

# The source tree: n_dirs directories, n_files files of 4 KiB of random bytes.
python3 - "$scratch/src" "$n_files" "$n_dirs" "$fsize" <<'PY'
import os, sys
src, n, d, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    p = os.path.join(src, "d%02d" % (i % d))
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, "f%05d" % i), "wb") as f:
        f.write(os.urandom(size))
PY

declare -A cp_t stored_t ls_t cat_t rss reqs
for tool in "${tools[@]}"; do
  for r in $(seq 1 "$runs"); do
    hwm=0
    rm -rf "$scratch/data/bench"; mkdir -p "$scratch/data/bench"; fresh
    drop_caches
    phase="w$r"; "mount_$tool"
    m=$(log_mark)
    t0=$(date +%s.%N)
    cp -r "$scratch/src/." "$mnt/"
    t1=$(date +%s.%N)
    if [ "$tool" = s3fs ] || [ "$tool" = rclone ]; then
      deadline=$(( $(date +%s) + 3600 ))
      until [ "$(stored_files)" -ge "$n_files" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "bench: $tool did not store all files in 1 h" >&2; exit 1; }
        sleep 0.2
      done
    else
      streamfs_cli "$tool" sync "$mnt" 2>/dev/null
    fi
    t2=$(date +%s.%N)
    reqs[$tool-cp]+="$(requests "$m"); "
    unmount
    # Untimed: the bucket holds exactly the source bytes.
    [ "$(stored_files)" -eq "$n_files" ] || { echo "bench: $tool stored $(stored_files) of $n_files files" >&2; exit 1; }
    diff -rq --exclude=.streamfs "$scratch/src" "$scratch/data/bench" >/dev/null \
      || { echo "bench: $tool stored different bytes" >&2; exit 1; }

    fresh; drop_caches
    phase="l$r"; "mount_$tool"
    m=$(log_mark)
    t3=$(date +%s.%N)
    entries=$(ls -lR "$mnt" | grep -c '^-')
    t4=$(date +%s.%N)
    reqs[$tool-ls]+="$(requests "$m"); "
    unmount
    [ "$entries" -eq "$n_files" ] || { echo "bench: $tool listed $entries of $n_files files" >&2; exit 1; }

    fresh; drop_caches
    phase="c$r"; "mount_$tool"
    m=$(log_mark)
    t5=$(date +%s.%N)
    bytes=$(find "$mnt" -type f -exec cat {} + | wc -c)
    t6=$(date +%s.%N)
    reqs[$tool-cat]+="$(requests "$m"); "
    unmount
    [ "$bytes" -eq $((n_files * fsize)) ] || { echo "bench: $tool read $bytes bytes" >&2; exit 1; }

    cp_t[$tool]+="$(elapsed "$t0" "$t1") "; stored_t[$tool]+="$(elapsed "$t0" "$t2") "
    ls_t[$tool]+="$(elapsed "$t3" "$t4") "; cat_t[$tool]+="$(elapsed "$t5" "$t6") "
    rss[$tool]+="$hwm "
  done
done

echo "# Small files on S3: $n_files files of 4 KiB in $n_dirs directories, $runs run(s), medians ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); S3Proxy 4.1.0 on 127.0.0.1"
printf '| %-9s | %8s | %9s | %8s | %8s | %12s |\n' mount "cp s" "stored s" "ls -lR s" "cat s" "peak RSS MiB"
printf '|%s|%s|%s|%s|%s|%s|\n' ----------- ---------- ----------- ---------- ---------- --------------
declare -A med
for tool in "${tools[@]}"; do
  # shellcheck disable=SC2086
  med[$tool-cp]=$(median ${cp_t[$tool]}); med[$tool-stored]=$(median ${stored_t[$tool]})
  # shellcheck disable=SC2086
  med[$tool-ls]=$(median ${ls_t[$tool]}); med[$tool-cat]=$(median ${cat_t[$tool]}); m=$(median ${rss[$tool]})
  printf '| %-9s | %8.2f | %9.2f | %8.2f | %8.2f | %12s |\n' "$tool" "${med[$tool-cp]}" "${med[$tool-stored]}" \
    "${med[$tool-ls]}" "${med[$tool-cat]}" "$(( ${m%.*} / 1024 ))"
done
echo
ratios() {  # ratios A B: A's time over B's per phase
  printf '%s/%s: cp %sx, stored %sx, ls -lR %sx, cat %sx\n' "$1" "$2" "$(ratio "${med[$1-cp]}" "${med[$2-cp]}")" \
    "$(ratio "${med[$1-stored]}" "${med[$2-stored]}")" "$(ratio "${med[$1-ls]}" "${med[$2-ls]}")" \
    "$(ratio "${med[$1-cat]}" "${med[$2-cat]}")"
}
ratios streamfs rclone; ratios streamfs s3fs
[ -n "${jar_of[sf-before]:-}" ] && ratios streamfs sf-before
echo "(below 1 = streamfs faster)"
if [ "${S3_REQUESTS:-0}" = 1 ]; then
  echo; echo "S3Proxy requests per phase (run by run):"
  for tool in "${tools[@]}"; do
    for p in cp ls cat; do echo "  $tool $p: ${reqs[$tool-$p]%; }"; done
  done
fi

#!/usr/bin/env bash
# Benchmark of the S3 store (issue 4): in one run against one S3Proxy 4.1.0 (filesystem-nio2, 127.0.0.1),
# sequential write of SIZE MiB through three FUSE mounts of the same bucket, `s3fs` (Debian), `rclone mount`
# (s3 remote, --vfs-cache-mode writes) and `streamfs mount`, then a cold sequential read of it:
#   close     seconds until `cp` returns (the file is closed)
#   complete  seconds from the start of `cp` until the bucket holds the whole object (HEAD shows its size)
#   read      seconds of `dd bs=1M` of the object after a fresh mount and dropped page cache
#   RSS       peak resident set (VmHWM) of the mount daemon over its write and read mounts
# Credentials go to each tool through a 0600 file or the environment, never its command line.
# Usage: bench/s3.sh [SIZE_MIB (default 1024)] [RUNS (default 1)]   (as root: drop_caches, FUSE)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
. "$here/lib.sh"
size_mib=${1:-1024}; runs=${2:-1}
bytes=$((size_mib * 1048576))
for t in s3fs rclone curl bc java; do command -v "$t" >/dev/null || { echo "bench: $t is missing" >&2; exit 1; }; done
jar_s3proxy="$root/target/s3proxy/s3proxy-4.1.0-jar-with-dependencies.jar"
[ -s "$jar_s3proxy" ] || jar_s3proxy="$HOME/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar"
[ -s "$jar_s3proxy" ] || { echo "bench: S3Proxy jar missing: run .ci/setup.d/20-s3proxy.sh" >&2; exit 1; }
"$root/bin/streamfs" --version >/dev/null   # builds the jar once, outside the timings

scratch=$(mktemp -d /var/tmp/streamfs-bench-s3.XXXXXX)
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
cat > "$scratch/s3proxy.conf" <<P
s3proxy.endpoint=$endpoint
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$scratch/data
P
java -Xmx256m -XX:+UseSerialGC -jar "$jar_s3proxy" --properties "$scratch/s3proxy.conf" > "$scratch/s3proxy.log" 2>&1 &
s3pid=$!
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$endpoint/healthz" && break
  kill -0 "$s3pid" 2>/dev/null || { echo "bench: S3Proxy died" >&2; cat "$scratch/s3proxy.log" >&2; exit 1; }
  sleep 0.1
done
# The bucket is the directory "bench" under basedir. Credential files, 0600:
umask 077
printf '%s:%s\n' "$key" "$secret" > "$scratch/passwd-s3fs"
printf 'user = "%s:%s"\naws-sigv4 = "aws:amz:us-east-1:s3"\n' "$key" "$secret" > "$scratch/curl.cfg"
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

object_size() {  # bytes the bucket holds for object $1, or 0
  curl -s -K "$scratch/curl.cfg" -I -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$endpoint/bench/$1" \
    | awk 'tolower($1)=="content-length:" {gsub("\r",""); print $2}' | grep . || echo 0
}

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
mount_streamfs() {
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_EC2_METADATA_DISABLED=true \
    STREAMFS_JAVA_OPTS="-Xmx256m" "$root/bin/streamfs" mount --foreground \
    --store "s3://bench/?endpoint=$endpoint&region=us-east-1" --state-dir "$scratch/sf-state-$phase" "$mnt" \
    > "$scratch/streamfs.log" 2>&1 &
  daemon=$!; wait_mounted streamfs
}
unmount() {  # sets $hwm to the daemon's peak RSS (KiB), unmounts, waits for the daemon to exit
  hwm=$(hwm_of "$daemon")
  fusermount3 -u "$mnt" 2>/dev/null || fusermount -u "$mnt"
  wait "$daemon" 2>/dev/null || true
  daemon=""
}
drop_caches() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches || true; }

head -c "$bytes" /dev/urandom > "$scratch/src"
declare -A close_t complete_t read_t rss
tools=(s3fs rclone streamfs)
"$root/bin/streamfs" --help 2>/dev/null | grep -q "^  mount " || { echo "bench: streamfs has no mount command yet" >&2; tools=(s3fs rclone); }
for tool in "${tools[@]}"; do
  for r in $(seq 1 "$runs"); do
    name="$tool-$r"
    drop_caches
    phase="w$r"; "mount_$tool"
    t0=$(date +%s.%N)
    cp "$scratch/src" "$mnt/$name"
    t1=$(date +%s.%N)
    until [ "$(object_size "$name")" = "$bytes" ]; do sleep 0.1; done
    t2=$(date +%s.%N)
    unmount; rss_w=$hwm
    cmp -s "$scratch/src" "$scratch/data/bench/$name" || { echo "bench: $tool stored different bytes" >&2; exit 1; }
    # A fresh mount (and for streamfs a fresh state dir, so no local cache) for a cold read.
    rm -rf "$scratch/rc-cache"/* "$scratch/sf-state-w$r"
    drop_caches
    phase="r$r"; "mount_$tool"
    t3=$(date +%s.%N)
    dd if="$mnt/$name" of=/dev/null bs=1M status=none
    t4=$(date +%s.%N)
    unmount; rss_r=$hwm
    close_t[$tool]+="$(echo "$t1 - $t0" | bc -l) "
    complete_t[$tool]+="$(echo "$t2 - $t0" | bc -l) "
    read_t[$tool]+="$(echo "$t4 - $t3" | bc -l) "
    rss[$tool]+="$(( rss_w > rss_r ? rss_w : rss_r )) "
    rm -rf "$scratch/data/bench/$name" "$scratch/sf-state-r$r"
  done
done

echo "# S3 mount benchmark: ${size_mib} MiB, $runs run(s), medians ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); S3Proxy 4.1.0 on 127.0.0.1"
printf '| %-9s | %9s | %12s | %15s | %9s | %9s | %12s |\n' mount "close s" "complete s" "complete MiB/s" "read s" "read MiB/s" "peak RSS MiB"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ----------- ----------- -------------- ----------------- ----------- ----------- --------------
for tool in "${tools[@]}"; do
  # shellcheck disable=SC2086
  c=$(median ${close_t[$tool]}); k=$(median ${complete_t[$tool]}); d=$(median ${read_t[$tool]}); m=$(median ${rss[$tool]})
  printf '| %-9s | %9.2f | %12.2f | %15s | %9.2f | %9s | %12s |\n' "$tool" "$c" "$k" "$(mbps $bytes $k)" "$d" "$(mbps $bytes $d)" "$(( ${m%.*} / 1024 ))"
done
if [ "${#tools[@]}" -eq 3 ]; then
  k_s3fs=$(median ${complete_t[s3fs]}); k_rc=$(median ${complete_t[rclone]}); k_sf=$(median ${complete_t[streamfs]})
  d_s3fs=$(median ${read_t[s3fs]}); d_rc=$(median ${read_t[rclone]}); d_sf=$(median ${read_t[streamfs]})
  echo
  echo "streamfs/s3fs: complete $(ratio $k_sf $k_s3fs)x, read $(ratio $d_sf $d_s3fs)x; streamfs/rclone: complete $(ratio $k_sf $k_rc)x, read $(ratio $d_sf $d_rc)x (below 1 = faster)"
fi

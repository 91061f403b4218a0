#!/usr/bin/env bash
# Benchmark of the engine (issue 2): `streamfs put` and `streamfs get` of one file against plain `cp` on
# the same disk, in the same run, repeated RUNS times (medians). Reports MiB/s, the ratio streamfs/cp and
# the peak RSS of the streamfs JVM. Usage: bench/engine.sh [SIZE_MIB (default 1024)] [RUNS (default 3)]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
. "$here/lib.sh"
size_mib=${1:-1024}; runs=${2:-3}
command -v bc >/dev/null || { apt-get install -y -qq bc >/dev/null; }
scratch=$(mktemp -d /var/tmp/streamfs-bench-engine.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
"$root/bin/streamfs" --version >/dev/null   # builds the jar once, outside the timings
head -c $((size_mib * 1048576)) /dev/urandom > "$scratch/src"
bytes=$((size_mib * 1048576))
export STREAMFS_PLAIN_PROGRESS=1
jar="$root/target/streamfs-all.jar"
# The JVM is measured directly (not through the launcher) so its PID is the one sampled for peak RSS.
sf=(java -Xmx256m -XX:+UseSerialGC -jar "$jar")
common=(--store "file://$scratch/store" --state-dir "$scratch/state" -q)
mkdir -p "$scratch/plain" "$scratch/store"
declare -a cp_t cps_t put_t get_t put_r get_r
for r in $(seq 1 "$runs"); do
  measure m cp "$scratch/src" "$scratch/plain/c$r"; cp_t+=("${m% *}")
  measure m sh -c "cp '$scratch/src' '$scratch/plain/s$r' && sync -f '$scratch/plain/s$r'"; cps_t+=("${m% *}")
  measure m "${sf[@]}" put "${common[@]}" "$scratch/src" "k$r" >/dev/null; put_t+=("${m% *}"); put_r+=("${m#* }")
  measure m "${sf[@]}" get "${common[@]}" "k$r" "$scratch/out$r" >/dev/null; get_t+=("${m% *}"); get_r+=("${m#* }")
  cmp -s "$scratch/src" "$scratch/out$r" || { echo "bench: get $r differs from the source" >&2; exit 1; }
  rm -f "$scratch/plain/c$r" "$scratch/plain/s$r" "$scratch/out$r" "$scratch/store/k$r"
done
cp_m=$(median "${cp_t[@]}"); cps_m=$(median "${cps_t[@]}"); put_m=$(median "${put_t[@]}"); get_m=$(median "${get_t[@]}")
echo "# engine benchmark: ${size_mib} MiB, $runs runs, medians ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| %-28s | %8s | %9s | %-14s | %12s |\n' operation seconds "MiB/s" "vs cp+sync" "peak RSS MiB"
printf '|%s|%s|%s|%s|%s|\n' ------------------------------ ---------- ----------- ---------------- --------------
printf '| %-28s | %8.2f | %9s | %-14s | %12s |\n' "cp (page cache)" "$cp_m" "$(mbps $bytes $cp_m)" "-" "-"
printf '| %-28s | %8.2f | %9s | %-14s | %12s |\n' "cp + sync" "$cps_m" "$(mbps $bytes $cps_m)" "1.00" "-"
printf '| %-28s | %8.2f | %9s | %-14s | %12s |\n' "streamfs put" "$put_m" "$(mbps $bytes $put_m)" "$(ratio $cps_m $put_m)x" "$(( $(median "${put_r[@]}") / 1024 ))"
printf '| %-28s | %8.2f | %9s | %-14s | %12s |\n' "streamfs get" "$get_m" "$(mbps $bytes $get_m)" "$(ratio $cps_m $get_m)x" "$(( $(median "${get_r[@]}") / 1024 ))"

#!/usr/bin/env bash
# Benchmark of embedding collections (issue 8): rows per second for random row ranges read through
# readEmbeddings (`streamfs embeddings bench`: verified chunk fetches in one JVM) and through NumPy
# (mmap_mode="r") on the mount, against reading the whole file (streamfs get; np.load on the mount), plus
# the upload rate of `streamfs embeddings put` from a pipe. The store is a local directory; numbers are
# medians of RUNS runs in one invocation (compare as ratios on a shared machine).
# Usage: bench/embeddings.sh [SIZE_MIB (default 256)] [RUNS (default 3)] [RANGES (default 200)] [ROWS_PER_RANGE (default 16)]
# Env: DIM (default 768), CHUNK (staged chunk size, default: engine's), MOUNT=0 to skip the mount part.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
. "$here/lib.sh"
x() { printf '%.2fx' "$(ratio "$1" "$2")"; }
size_mib=${1:-256}; runs=${2:-3}; ranges=${3:-200}; k=${4:-16}
dim=${DIM:-768}
rows=$((size_mib * 1048576 / (dim * 4)))
command -v bc >/dev/null || { apt-get install -y -qq bc >/dev/null; }
python3 -c 'import numpy' 2>/dev/null || { echo "bench: needs python3-numpy" >&2; exit 1; }
scratch=$(mktemp -d /var/tmp/streamfs-bench-emb.XXXXXX)
mnt="$scratch/mnt"; mounted=""
cleanup() {
  if [ -n "$mounted" ]; then
    "$root/bin/streamfs" umount "$mnt" >/dev/null 2>&1 || fusermount -u "$mnt" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
"$root/bin/streamfs" --version >/dev/null 2>&1   # builds the jar once, outside the timings
chunk_opt=(); [ -n "${CHUNK:-}" ] && chunk_opt=(--chunk-size "$CHUNK")
sf() { STREAMFS_PLAIN_PROGRESS=1 "$root/bin/streamfs" "$@" --store "file://$scratch/store" --create-store \
  --state-dir "$scratch/state" "${chunk_opt[@]}"; }
mkdir -p "$scratch/store"
gen() {  # raw float32 rows on stdout, generated in blocks (never the whole matrix in memory)
  python3 -c "
import numpy as np, sys
rng = np.random.default_rng(0); n, d, b = $rows, $dim, 4096
for i in range(0, n, b):
    sys.stdout.buffer.write(rng.standard_normal((min(b, n - i), d), dtype=np.float32).tobytes())"
}
put_pipe() { gen | sf embeddings put -q --dim "$dim" - "c$1" >/dev/null; }
# numpy random ranges over a path: prints rows/s (mmap, each range copied out)
np_ranges() {
  python3 - "$1" "$ranges" "$k" <<'PY'
import numpy as np, sys, time, random
a = np.load(sys.argv[1], mmap_mode="r"); n = int(sys.argv[2]); k = int(sys.argv[3])
rnd = random.Random(1); t0 = time.perf_counter(); s = 0.0
for _ in range(n):
    i = int(rnd.random() * (a.shape[0] - k + 1)); s += float(np.array(a[i:i + k])[:, 0].sum())
print("%.0f" % (n * k / (time.perf_counter() - t0)))
PY
}
np_whole() {
  python3 - "$1" <<'PY'
import numpy as np, sys, time
t0 = time.perf_counter(); a = np.load(sys.argv[1]); print("%.0f" % (a.shape[0] / (time.perf_counter() - t0)))
PY
}

put_t=(); get_t=(); rr_rate=(); whole_rate=(); np_local=(); np_mnt=(); np_mnt_whole=()
for r in $(seq 1 "$runs"); do
  measure m put_pipe "$r"
  put_t+=("${m% *}")
  measure m sh -c "\"$root/bin/streamfs\" get embeddings/c$r.npy $scratch/whole$r.npy -q --store file://$scratch/store --state-dir $scratch/state >/dev/null"; get_t+=("${m% *}")
  rm -f "$scratch/whole$r.npy"
  line=$(sf embeddings bench "c$r" --ranges "$ranges" --count "$k" --seed "$r")
  rr_rate+=("$(sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p' <<<"$line")"); chunks=$(sed -n 's/.*chunks_touched=\([0-9]*\).*/\1/p' <<<"$line")
  line=$(sf embeddings bench "c$r" --ranges 1 --count "$rows")
  whole_rate+=("$(sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p' <<<"$line")")
  np_local+=("$(np_ranges "$scratch/store/embeddings/c$r.npy")")
done

if [ "${MOUNT:-1}" != 0 ] && "$root/bin/streamfs" --help 2>/dev/null | grep -q '^  mount ' && [ -e /dev/fuse ]; then
  mkdir -p "$mnt"
  # the mount shares the state dir, so it verifies chunks against the manifests recorded at upload
  STREAMFS_PLAIN_PROGRESS=1 "$root/bin/streamfs" mount --store "file://$scratch/store" \
    --state-dir "$scratch/state" "${chunk_opt[@]}" "$mnt" >"$scratch/mount.log" 2>&1 || true
  if mountpoint -q "$mnt"; then
    mounted=1
    for r in $(seq 1 "$runs"); do
      np_mnt+=("$(np_ranges "$mnt/embeddings/c$r.npy")")
      np_mnt_whole+=("$(np_whole "$mnt/embeddings/c$r.npy")")
    done
  else
    echo "bench: mount did not come up (see below); skipping the mount figures" >&2; cat "$scratch/mount.log" >&2
  fi
fi

bytes=$((128 + rows * dim * 4))
put_m=$(median "${put_t[@]}"); get_m=$(median "${get_t[@]}")
rr_m=$(median "${rr_rate[@]}"); whole_m=$(median "${whole_rate[@]}"); npl_m=$(median "${np_local[@]}")
get_rows=$(echo "$rows / $get_m" | bc -l)
echo "# embeddings benchmark: ${rows} x ${dim} float32 ($size_mib MiB), $runs runs, medians; random ranges: $ranges x $k rows"
echo "# ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); chunks touched per random run: ${chunks})"
printf '| %-64s | %12s | %-22s |\n' "read path" "rows/s" "vs whole-file read"
printf '|%s|%s|%s|\n' ------------------------------------------------------------------ -------------- ------------------------
printf '| %-64s | %12.0f | %-22s |\n' "streamfs get, whole file (CLI, incl. JVM start)" "$get_rows" "-"
printf '| %-64s | %12s | %-22s |\n' "readEmbeddings, whole collection as one range (in JVM)" "$whole_m" "1.00x"
printf '| %-64s | %12s | %-22s |\n' "readEmbeddings, random $k-row ranges (in JVM)" "$rr_m" "$(x "$rr_m" "$whole_m")"
printf '| %-64s | %12s | %-22s |\n' "numpy mmap random $k-row ranges, store file on local disk" "$npl_m" "- (no streamfs)"
if [ ${#np_mnt[@]} -gt 0 ]; then
  npm_m=$(median "${np_mnt[@]}"); npw_m=$(median "${np_mnt_whole[@]}")
  printf '| %-64s | %12s | %-22s |\n' "numpy np.load, whole file on the mount" "$npw_m" "1.00x"
  printf '| %-64s | %12s | %-22s |\n' "numpy mmap random $k-row ranges on the mount" "$npm_m" "$(x "$npm_m" "$npw_m")"
else
  echo "(mount figures skipped: no 'streamfs mount' in this build, /dev/fuse missing, or MOUNT=0)"
fi
printf 'put from a pipe (generation included): %.1f s, %s MiB/s, %.0f rows/s\n' "$put_m" "$(mbps $bytes $put_m)" "$(echo "$rows / $put_m" | bc -l)"

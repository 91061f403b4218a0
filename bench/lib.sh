# Shared helpers for the benchmarks: timing, peak RSS sampling, medians. Sourced, not run.

# measure OUTVAR CMD...: runs CMD, sets OUTVAR to "<seconds> <peak RSS KiB>". Peak RSS is the kernel's
# high-water mark (VmHWM) of the process, sampled every 50 ms until it exits.
measure() {
  local __out=$1; shift
  local t0 t1 pid hwm=0 v
  t0=$(date +%s.%N)
  "$@" & pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
    sleep 0.05
  done
  wait "$pid"
  t1=$(date +%s.%N)
  printf -v "$__out" '%s %s' "$(echo "$t1 - $t0" | bc -l)" "$hwm"
}

# rss_of_pid PID VAR: samples VmHWM of a running daemon into VAR (KiB).
hwm_of() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# median of the arguments (numbers).
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

mbps() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

#!/usr/bin/env bash
# Codec benchmark: put/get throughput through the engine and stored size, for text-like (JSON lines/CSV)
# and random data, with each combination: plain, zstd, deflate, AES-256-GCM, zstd+AES, deflate+AES.
# Usage: bench/codec.sh [SIZE_MIB]   (default 256; scratch space ~3x SIZE in $TMPDIR, removed afterwards)
# Prints a Markdown table (paste into README.md). Local store, so it measures the codec and the engine,
# not a network. The CLI's --compress/--encrypt-key-file options run the same code.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-256}"
mvn -B -q -o test-compile >/dev/null 2>&1 || mvn -B -q test-compile
cpfile="$(mktemp)"
work="$(mktemp -d "${TMPDIR:-/tmp}/streamfs-codec-bench.XXXXXX")"
trap 'rm -rf "$work" "$cpfile"' EXIT
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null 2>&1 \
  || mvn -B -q dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
# the engine logs at DEBUG without a logback configuration: keep only the table
java -Xmx256m -cp "target/test-classes:target/classes:$(cat "$cpfile")" \
  org.streamfs.transfer.codec.CodecBench "$work" "$size" | grep -E '^(\||[0-9]+ MiB|$)'
echo
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

#!/usr/bin/env bash
# Benchmarks/ServerBenchmarks/bench.sh MODE [ARGS…] — builds gssa-server-bench and runs one of its
# modes (--load, --scheduler, --sweep), between two comments giving the cores and the load average,
# for docs/performance.md. Called by Benchmarks/{server,scheduler,sweep}/run.sh.
# GSSA_BENCH_CONFIG=debug runs the debug build (default release).
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${GSSA_BENCH_CONFIG:-release}
swift build -c "$CONFIG" --product gssa-server-bench >&2
echo "<!-- $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg) -->"
"$(swift build -c "$CONFIG" --show-bin-path)/gssa-server-bench" "$@"
echo "<!-- load average after: $(cut -d' ' -f1-3 /proc/loadavg) -->"

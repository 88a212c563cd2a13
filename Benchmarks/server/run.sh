#!/usr/bin/env bash
# Benchmarks/server/run.sh [--bundle-mb 200] [--load-runs 30] — the server never blocks
# (issue 12 item 5): status p99 with the server idle and while 30 runs execute (an in-memory
# launcher whose runs report a status every 100 ms) and a 200 MB results bundle is built and
# downloaded, in one invocation, with the ratio and the process's peak RSS during the download.
# Target: loaded p99 < 10 ms. Prints markdown for docs/performance.md ("Server").
# GSSA_BENCH_CONFIG=debug runs the debug build (default release).
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${GSSA_BENCH_CONFIG:-release}
swift build -c "$CONFIG" --product gssa-server-bench >&2
echo "<!-- $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg) -->"
"$(swift build -c "$CONFIG" --show-bin-path)/gssa-server-bench" --load "$@"
echo "<!-- load average after: $(cut -d' ' -f1-3 /proc/loadavg) -->"

#!/usr/bin/env bash
# Benchmarks/server/run.sh [--bundle-mb 200] [--load-runs 30] — the server never blocks
# (issue 12 item 5): status p99 with the server idle and while 30 runs execute (an in-memory
# launcher whose runs report a status every 100 ms) and a 200 MB results bundle is built and
# downloaded, in one invocation, with the ratio and the process's peak RSS during the download.
# Target: loaded p99 < 10 ms. Prints markdown for docs/performance.md ("Server").
# GSSA_BENCH_CONFIG=debug runs the debug build (default release).
exec "$(dirname "$0")/../ServerBenchmarks/bench.sh" --load "$@"

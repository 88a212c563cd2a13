#!/usr/bin/env bash
# Benchmarks/scheduler/run.sh [--queued 10000] [--users 100] [--rounds 500] — one scheduling
# decision (issue 13 item 3): fairshare with 10^4 queued runs from 100 users, open and with half
# the projects at their quota, against FIFO's decision and a plain sort of the queue, measured
# interleaved in one invocation. Target: p99 < 5 ms. Prints markdown for docs/performance.md
# ("Scheduler").
# GSSA_BENCH_CONFIG=debug runs the debug build (default release).
exec "$(dirname "$0")/../ServerBenchmarks/bench.sh" --scheduler "$@"

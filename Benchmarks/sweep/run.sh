#!/usr/bin/env bash
# Benchmarks/sweep/run.sh [--children 1000] [--rounds 50] — settling a sweep: after each child's
# end the server tallies the sweep's children. The SQLite store's tally (two indexed queries)
# against reading every child, the way settling worked before, interleaved in one invocation on
# the same database. Prints markdown for docs/performance.md ("Sweeps").
# GSSA_BENCH_CONFIG=debug runs the debug build (default release).
exec "$(dirname "$0")/../ServerBenchmarks/bench.sh" --sweep "$@"

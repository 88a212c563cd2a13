#!/usr/bin/env bash
# Benchmarks/launch/run.sh — the launch benchmarks of issue 12: trivial launches against bare
# `docker run` (launch.sh) and the compiled-form cache, first vs second run (form-cache.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/launch.sh" "${GSSA_BENCH_REPEAT:-10}"
"$HERE/form-cache.sh"

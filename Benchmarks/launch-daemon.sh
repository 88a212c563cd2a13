#!/usr/bin/env bash
# Benchmarks/launch-daemon.sh [N] — what the launch daemon adds to a container run.
#
# Same image (gssa/python:bookworm), same trivial model (`python3 start.py`, start.py = `pass`):
#   single   N interleaved runs: `gssa container run` through gssa-dockerlaunch (archive PUT of
#            input + runner, log relay, archive GET of the output, safe extraction, removal)
#            vs a bare `docker run --rm --network none IMAGE python3 -c pass`.
#            Target: daemon <= 1.15 x bare + 0.3 s.
#   burst    60 runs, 30 at a time: 30 clients through the daemon (max_containers 30) vs
#            `xargs -P30 docker run --rm`. Target: wall time <= 1.1 x.
# Figures are printed and written to docs/performance.md, section "Launch daemon"
# (GSSA_BENCH_NO_DOCS=1 skips that). Builds: `gssa` and `gssa-dockerlaunch` in the configuration
# given by GSSA_BENCH_CONFIG (default release), the runner with scripts/build-runner.
set -euo pipefail
N=${1:-10}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CONFIG=${GSSA_BENCH_CONFIG:-release}
IMAGE=${GSSA_BENCH_IMAGE:-gssa/python:bookworm}
cd "$REPO"
swift build -c "$CONFIG" --product gssa-dockerlaunch >&2
swift build -c "$CONFIG" --product gssa >&2
BIN=$(swift build -c "$CONFIG" --show-bin-path)
RUNNER=${GSSA_RUNNER_BIN:-$(scripts/build-runner)}
exec python3 "$REPO/Benchmarks/launch_daemon.py" --repeat "$N" --image "$IMAGE" --bin "$BIN" --runner "$RUNNER" \
    --config-name "$CONFIG" --docs "$REPO/docs/performance.md"

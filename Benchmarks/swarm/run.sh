#!/usr/bin/env bash
# Benchmarks/swarm/run.sh [RUNS] [PARALLEL] — 60 trivial runs (python3 start.py, start.py = `pass`)
# on a real 3-node swarm (scripts/swarm-up, dockerds in network namespaces on this machine)
# through gssa-dockerlaunch with `executor: swarm`, against the same runs through a local
# daemon on one engine, and against a raw `docker service create` / wait / `service rm` loop on
# the same swarm (the floor any swarm executor pays). Figures go to docs/performance.md, section
# "Swarm executor" (GSSA_BENCH_NO_DOCS=1 skips that). The swarm is removed afterwards unless
# GSSA_BENCH_KEEP_SWARM=1.
set -euo pipefail
RUNS=${1:-60}
PARALLEL=${2:-6}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=${GSSA_BENCH_CONFIG:-debug}
IMAGE=${GSSA_BENCH_IMAGE:-gssa/python:bookworm}
cd "$REPO"
swift build -c "$CONFIG" --product gssa-dockerlaunch >&2
BIN=$(swift build -c "$CONFIG" --show-bin-path)
RUNNER=${GSSA_RUNNER_BIN:-$(scripts/build-runner)}
MANAGER=$(GSSA_SWARM_IMAGES="$IMAGE" scripts/swarm-up 3 | tail -n 1)
SHARED=${GSSA_SWARM_DIR:-/var/lib/gssa-swarm}/shared
status=0
python3 "$REPO/Benchmarks/swarm/swarm_bench.py" --runs "$RUNS" --parallel "$PARALLEL" --image "$IMAGE" --bin "$BIN" \
    --runner "$RUNNER" --manager "${MANAGER#manager=}" --shared "$SHARED" --config-name "$CONFIG" \
    --docs "$REPO/docs/performance.md" || status=$?
[ "${GSSA_BENCH_KEEP_SWARM:-0}" = 1 ] || scripts/swarm-down
exit $status

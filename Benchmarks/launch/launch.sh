#!/usr/bin/env bash
# Benchmarks/launch/launch.sh [N] — issue 12 item 4: launches through gssa-dockerlaunch against
# bare `docker run` of the same image and command, measured in one invocation:
#   single   N interleaved trivial runs, daemon vs `docker run --rm --network none IMAGE python3 -c pass`
#            (target: median <= 1.15 x bare + 0.1 s);
#   burst    60 runs, 30 at a time: the daemon (max_containers 30) vs `xargs -P30 docker run`
#            (target: wall <= 1.1 x).
# The image is GSSA_BENCH_IMAGE (default gssa/python:bookworm) with the runner baked in the way
# `gssa images build` bakes it (images/build.sh bake; tagged GSSA_BENCH_BAKED, default
# gssa-bench/python:bookworm, so the shared tags stay untouched), so the daemon skips the runner copy;
# when the source image carries no runner, the burst is also run with it, for the before/after.
# Clients: GSSA_BENCH_CLIENT=socket (default: START over the socket from a thread, as the server
# does) or cli (a `gssa container run` process per run). Figures go to docs/performance.md,
# section "Launch" (GSSA_BENCH_NO_DOCS=1 skips that), with the load average.
# GSSA_BENCH_CONFIG (default release) picks the build of gssa-dockerlaunch; GSSA_BENCH_SKIP_BUILD=1
# uses what is built.
set -euo pipefail
N=${1:-10}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=${GSSA_BENCH_CONFIG:-release}
SOURCE=${GSSA_BENCH_IMAGE:-gssa/python:bookworm}
BAKED=${GSSA_BENCH_BAKED:-gssa-bench/python:bookworm}
CLIENT=${GSSA_BENCH_CLIENT:-socket}
cd "$REPO"
if [ "${GSSA_BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c "$CONFIG" --product gssa-dockerlaunch >&2
    [ "$CLIENT" = cli ] && swift build -c "$CONFIG" --product gssa >&2
fi
BIN=${GSSA_BENCH_BIN:-$(swift build -c "$CONFIG" --show-bin-path)}
RUNNER=${GSSA_RUNNER_BIN:-$(scripts/build-runner)}
GSSA_RUNNER_BIN=$RUNNER images/build.sh bake "$SOURCE" "$BAKED" >/dev/null
# When the source image has no runner of its own, the burst also runs with it (runner copied per run).
UNBAKED=()
label=$(docker image inspect --format '{{index .Config.Labels "org.gssa.runner-sha256"}}' "$SOURCE" 2>/dev/null || true)
if [ -z "$label" ] || [ "$label" = "<no value>" ]; then UNBAKED=(--unbaked "$SOURCE"); fi
exec python3 "$REPO/Benchmarks/launch_daemon.py" --repeat "$N" --image "$BAKED" --bin "$BIN" --runner "$RUNNER" \
    --config-name "$CONFIG" --client "$CLIENT" "${UNBAKED[@]}" --section "Launch" --command-line "Benchmarks/launch/launch.sh $N" \
    --docs "$REPO/docs/performance.md"

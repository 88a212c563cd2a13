#!/usr/bin/env bash
# Benchmarks/runner-overhead.sh [N] — what gssa-container adds to a trivial model run.
#
# Same image, same trivial start.py, N runs each, interleaved:
#   bare    docker run --rm gssa/python:bookworm python3 start.py
#   runner  docker run --rm gssa/python:bookworm /gssa/bin/gssa-container run
#           (runner and input bind-mounted read-only here, for measuring only; production
#            injects them through the archive API)
# and on the host (no Docker): python3 start.py vs gssa-container run on a temp /shared.
# Prints mean wall seconds and the ratio runner/bare measured in this same run.
set -euo pipefail
N=${1:-10}
REPO=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${GSSA_BENCH_IMAGE:-gssa/python:bookworm}
RUNNER=$("$REPO/scripts/build-runner")
WORK=$(mktemp -d /tmp/gssa-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src" "$WORK/input"
printf 'import gosmart\nprint("ok")\n' > "$WORK/src/start.py"
tar -C "$WORK/src" -czf "$WORK/input/start.tar.gz" start.py
chmod -R a+rX "$WORK"

now() { date +%s.%N; }
mean() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:]]; print('%.3f' % (sum(v)/len(v)))" "$@"; }

bare=() runner=() hbare=() hrunner=()
for ((i = 0; i < N; i++)); do
    t=$(now); docker run --rm --network none -v "$WORK/src:/src:ro" -w /src "$IMAGE" python3 start.py >/dev/null
    bare+=($(python3 -c "print($(now) - $t)"))
    t=$(now); docker run --rm --network none --init -v "$RUNNER:/gssa/bin/gssa-container:ro" \
        -v "$WORK/input:/shared/input:ro" "$IMAGE" /gssa/bin/gssa-container run >/dev/null
    runner+=($(python3 -c "print($(now) - $t)"))
    t=$(now); (cd "$WORK/src" && PYTHONPATH="$REPO/Sources/ContainerModule/python" python3 start.py >/dev/null)
    hbare+=($(python3 -c "print($(now) - $t)"))
    rm -rf "$WORK/shared"; mkdir -p "$WORK/shared"; cp -r "$WORK/input" "$WORK/shared/input"
    t=$(now); PYTHONPATH="$REPO/Sources/ContainerModule/python" GSSA_SHARED_ROOT="$WORK/shared" "$RUNNER" run >/dev/null
    hrunner+=($(python3 -c "print($(now) - $t)"))
done
b=$(mean "${bare[@]}"); r=$(mean "${runner[@]}"); hb=$(mean "${hbare[@]}"); hr=$(mean "${hrunner[@]}")
echo "docker: bare ${b}s  runner ${r}s  ratio $(python3 -c "print('%.2f' % ($r/$b))")  (+$(python3 -c "print('%.3f' % ($r-$b))")s)  N=$N"
echo "host:   bare ${hb}s  runner ${hr}s  ratio $(python3 -c "print('%.2f' % ($hr/$hb))")  (+$(python3 -c "print('%.3f' % ($hr-$hb))")s)  N=$N"

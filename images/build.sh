#!/usr/bin/env bash
# images/build.sh — build gssa's images, offline (no Docker Hub): base | python | fenics | all.
#
#   base    debootstrap --variant=minbase bookworm + docker import -> gssa/debian:bookworm
#   python  images/python/Dockerfile   -> gssa/python:bookworm + gssa/python:<hash12>
#   fenics  families/fenics/Dockerfile -> gssa/fenics:bookworm + gssa/fenics:<hash12>
#
# <hash12> is a content hash of the recipe: the Dockerfile, every file of the build context
# (Sources/ContainerModule/python) and the parent image ID. When that tag exists the build is
# skipped; otherwise `docker build` runs with Docker's layer cache, showing its steps.
# For each image a machine-readable line goes to stdout:
#   IMAGE <name> <tag> <hash tag> <image id> <built|cached> <seconds>
# Everything else (progress) goes to stderr.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CONTEXT="$REPO/Sources/ContainerModule/python"
BASE_TAG="${GSSA_BASE_TAG:-gssa/debian:bookworm}"

say() { echo "[images] $*" >&2; }

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

recipe_hash() { # dockerfile parent-tag
    local dockerfile=$1 parent=$2
    {
        echo "dockerfile"; sha256sum < "$dockerfile"
        echo "parent $(image_id "$parent")"
        (cd "$CONTEXT" && find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path './.pytest_cache/*' \
            -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-12
}

build_base() {
    local start=$SECONDS state=cached
    image_id "$BASE_TAG" >/dev/null || state=built
    "$HERE/base/build.sh" "$@"
    local hash
    hash=$(docker image inspect --format '{{index .Config.Labels "org.gssa.recipe-hash"}}' "$BASE_TAG" 2>/dev/null || true)
    local hashtag="$BASE_TAG"
    [ -n "$hash" ] && [ "$hash" != "<no value>" ] && hashtag="${BASE_TAG%%:*}:$hash"
    echo "IMAGE base $BASE_TAG $hashtag $(image_id "$BASE_TAG") $state $((SECONDS - start))"
}

build_docker() { # name dockerfile tag
    local name=$1 dockerfile=$2 tag=$3 start=$SECONDS
    image_id "$BASE_TAG" >/dev/null || { say "$BASE_TAG missing; building it first"; build_base >&2; }
    local repo=${tag%%:*} hash
    hash=$(recipe_hash "$dockerfile" "$BASE_TAG")
    local hashtag="$repo:$hash"
    if image_id "$hashtag" >/dev/null; then
        say "$name: recipe $hash already built; tagging $tag"
        docker tag "$hashtag" "$tag"
        echo "IMAGE $name $tag $hashtag $(image_id "$hashtag") cached $((SECONDS - start))"
        return
    fi
    say "$name: building $tag ($hashtag) from ${dockerfile#"$REPO"/}"
    DOCKER_BUILDKIT=0 docker build \
        --file "$dockerfile" \
        --tag "$tag" --tag "$hashtag" \
        --label "org.gssa.recipe-hash=$hash" \
        --label "org.gssa.image=$name" \
        "$CONTEXT" >&2
    echo "IMAGE $name $tag $hashtag $(image_id "$hashtag") built $((SECONDS - start))"
}

what=${1:-}
case "$what" in
    base)   build_base "${@:2}" ;;
    python) build_docker python "$REPO/images/python/Dockerfile" "gssa/python:bookworm" ;;
    fenics) build_docker fenics "$REPO/families/fenics/Dockerfile" "gssa/fenics:bookworm" ;;
    all)
        build_base
        build_docker python "$REPO/images/python/Dockerfile" "gssa/python:bookworm"
        build_docker fenics "$REPO/families/fenics/Dockerfile" "gssa/fenics:bookworm"
        ;;
    *) echo "usage: images/build.sh base|python|fenics|all" >&2; exit 2 ;;
esac

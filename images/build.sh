#!/usr/bin/env bash
# images/build.sh — build gssa's images, offline (no Docker Hub):
#   base | python | fenics | families | all | FAMILY
#
#   base      debootstrap --variant=minbase bookworm + docker import -> gssa/debian:bookworm
#   python    images/python/Dockerfile   -> gssa/python:bookworm + gssa/python:<hash12>
#   fenics    families/fenics/Dockerfile -> gssa/fenics:bookworm + gssa/fenics:<hash12>
#   FAMILY    families/FAMILY/Dockerfile -> the `image:` of families/FAMILY/family.yml (+ <hash12>),
#             context families/FAMILY; `families` builds every such family, `all` does everything.
#   Parents (FROM) that are ours are built first when missing.
#   bake IMAGE TAG   adds the runner to IMAGE as TAG (what every family image gets; see below).
#
# Every image but base then gets the in-container runner baked in: a thin layer
#   FROM <name>:<hash12>  COPY gssa-container /gssa/bin/gssa-container
#   LABEL org.gssa.runner-sha256=<sha256 of the runner>
# tagged <name>:<hash12>-r<runner sha12> and as the friendly tag, so the launch daemon skips
# copying the runner into each container when the label matches its own runner. The layer is
# rebuilt only when the runner changes; <name>:<hash12> stays the runner-less recipe image, and
# images built FROM one of ours build FROM that recipe image (a new runner never forces a
# rebuild of their recipe). The runner comes from $GSSA_RUNNER_BIN, else $GSSA_RUNNER (what the
# daemon of `gssa run` uses), else scripts/build-runner;
# GSSA_NO_BAKE=1 skips baking (the daemon then copies the runner per run, as before).
#
# <hash12> is a content hash of the recipe: the Dockerfile, every file of the build context
# (Sources/ContainerModule/python for python/fenics) and the parent image ID. Older hash tags of
# the same image are untagged after a build (GSSA_KEEP_OLD_IMAGES=1 keeps them). When that tag exists the build is
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

recipe_hash() { # dockerfile parent-tag context
    local dockerfile=$1 parent=$2 context=$3
    {
        echo "dockerfile"; sha256sum < "$dockerfile"
        echo "parent $(image_id "$parent")"
        (cd "$context" && find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path './.pytest_cache/*' \
            -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-12
}

# The image a Dockerfile builds FROM (first FROM line).
parent_of() { awk 'toupper($1) == "FROM" { print $2; exit }' "$1"; }

# The runner-less recipe image behind one of our (baked) tags; the tag itself otherwise.
recipe_of() { # tag
    local tag=$1 hash runner
    runner=$(docker image inspect --format '{{index .Config.Labels "org.gssa.runner-sha256"}}' "$tag" 2>/dev/null || true)
    hash=$(docker image inspect --format '{{index .Config.Labels "org.gssa.recipe-hash"}}' "$tag" 2>/dev/null || true)
    if [ -n "$runner" ] && [ "$runner" != "<no value>" ] && [ -n "$hash" ] && [ "$hash" != "<no value>" ] \
        && image_id "${tag%%:*}:$hash" >/dev/null; then
        echo "${tag%%:*}:$hash"
    else
        echo "$tag"
    fi
}

runner_bin() {
    if [ -n "${GSSA_RUNNER_BIN:-}" ]; then echo "$GSSA_RUNNER_BIN"
    elif [ -n "${GSSA_RUNNER:-}" ]; then echo "$GSSA_RUNNER"
    else "$REPO/scripts/build-runner"; fi
}

# Adds the runner to IMAGE as TAG (a thin layer, reused while the runner is unchanged).
# Prints the tag of the baked layer: <TAG's repository>:<IMAGE's tag>-r<runner sha12>.
bake() { # image tag
    local image=$1 tag=$2 runner sha baked context
    runner=$(runner_bin)
    [ -x "$runner" ] || { say "runner $runner is not an executable file"; exit 1; }
    sha=$(sha256sum < "$runner" | cut -c1-64)
    local source_tag=latest
    [[ "${image##*/}" == *:* ]] && source_tag=${image##*:}
    baked="${tag%%:*}:$source_tag-r${sha:0:12}"
    if ! image_id "$baked" >/dev/null; then
        say "baking runner ${sha:0:12} into $image"
        context=$(mktemp -d)
        cp "$runner" "$context/gssa-container"
        chmod 0755 "$context/gssa-container"
        printf 'FROM %s\nCOPY gssa-container /gssa/bin/gssa-container\nLABEL org.gssa.runner-sha256=%s\n' "$image" "$sha" \
            | DOCKER_BUILDKIT=0 docker build --file - --tag "$baked" "$context" >&2 || { rm -rf "$context"; exit 1; }
        rm -rf "$context"
    fi
    docker tag "$baked" "$tag"
    echo "$baked"
}

# Tags the recipe image as TAG, with the runner baked in unless GSSA_NO_BAKE=1. Prints the baked tag.
finish_tag() { # recipe-tag tag
    if [ "${GSSA_NO_BAKE:-0}" = 1 ]; then docker tag "$1" "$2"; echo "$1"; else bake "$1" "$2"; fi
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

build_docker() { # name dockerfile tag [context]
    local name=$1 dockerfile=$2 tag=$3 context=${4:-$CONTEXT} start=$SECONDS
    local parent
    parent=$(parent_of "$dockerfile")
    if ! image_id "$parent" >/dev/null; then
        case "$parent" in
            "$BASE_TAG") say "$parent missing; building it first"; build_base >&2 ;;
            gssa/python:bookworm) build_docker python "$REPO/images/python/Dockerfile" gssa/python:bookworm >&2 ;;
            gssa/fenics:bookworm) build_docker fenics "$REPO/families/fenics/Dockerfile" gssa/fenics:bookworm >&2 ;;
            *) say "$name: parent image $parent is missing and not one of ours"; exit 1 ;;
        esac
    fi
    # Build FROM the parent's runner-less recipe image, so a new runner changes no recipe hash.
    local recipe_parent
    recipe_parent=$(recipe_of "$parent")
    local repo=${tag%%:*} hash baked
    hash=$(recipe_hash "$dockerfile" "$recipe_parent" "$context")
    local hashtag="$repo:$hash"
    if image_id "$hashtag" >/dev/null; then
        say "$name: recipe $hash already built; tagging $tag"
        baked=$(finish_tag "$hashtag" "$tag")
        echo "IMAGE $name $tag $baked $(image_id "$tag") cached $((SECONDS - start))"
        prune_old "$name" "$tag" "$hashtag" "$baked"
        return
    fi
    say "$name: building $tag ($hashtag) from ${dockerfile#"$REPO"/}"
    awk -v from="$parent" -v to="$recipe_parent" \
        '!done && toupper($1) == "FROM" && $2 == from { $2 = to; done = 1 } { print }' "$dockerfile" \
        | DOCKER_BUILDKIT=0 docker build \
            --file - \
            --tag "$hashtag" \
            --label "org.gssa.recipe-hash=$hash" \
            --label "org.gssa.image=$name" \
            "$context" >&2
    baked=$(finish_tag "$hashtag" "$tag")
    echo "IMAGE $name $tag $baked $(image_id "$tag") built $((SECONDS - start))"
    prune_old "$name" "$tag" "$hashtag" "$baked"
}

# Untag older content-hash tags of the same image (the layers stay while anything uses them).
# GSSA_KEEP_OLD_IMAGES=1 keeps them.
prune_old() { # name tag hashtag [baked]
    [ "${GSSA_KEEP_OLD_IMAGES:-0}" = 1 ] && return 0
    local name=$1 tag=$2 hashtag=$3 baked=${4:-$3} old
    for old in $(docker images --filter "label=org.gssa.image=$name" --format '{{.Repository}}:{{.Tag}}'); do
        [ "$old" = "$tag" ] || [ "$old" = "$hashtag" ] || [ "$old" = "$baked" ] || [ "${old%%:*}" != "${tag%%:*}" ] && continue
        say "$name: untagging stale $old"
        docker rmi "$old" >/dev/null 2>&1 || true
    done
}

# A drop-in family's image: families/NAME/Dockerfile, tagged with family.yml's `image:`,
# built with the family directory as context.
build_family() { # name
    local name=$1 dir="$REPO/families/$1"
    [ -f "$dir/Dockerfile" ] || { say "families/$name has no Dockerfile"; exit 2; }
    local tag
    tag=$(sed -n 's/^image:[[:space:]]*//p' "$dir/family.yml" 2>/dev/null | awk 'NR == 1' | tr -d "\"' ")
    [ -n "$tag" ] || { say "families/$name/family.yml names no image"; exit 2; }
    build_docker "$name" "$dir/Dockerfile" "$tag" "$dir"
}

family_names() { # every family with a Dockerfile, except the built-in fenics
    local d
    for d in "$REPO"/families/*/; do
        d=${d%/}; d=${d##*/}
        [ "$d" != fenics ] && [ -f "$REPO/families/$d/Dockerfile" ] && echo "$d"
    done
    return 0
}

what=${1:-}
case "$what" in
    base)   build_base "${@:2}" ;;
    python) build_docker python "$REPO/images/python/Dockerfile" "gssa/python:bookworm" ;;
    fenics) build_docker fenics "$REPO/families/fenics/Dockerfile" "gssa/fenics:bookworm" ;;
    families)
        for family in $(family_names); do build_family "$family"; done ;;
    all)
        build_base
        build_docker python "$REPO/images/python/Dockerfile" "gssa/python:bookworm"
        build_docker fenics "$REPO/families/fenics/Dockerfile" "gssa/fenics:bookworm"
        for family in $(family_names); do build_family "$family"; done
        ;;
    bake)
        [ $# -eq 3 ] || { echo "usage: images/build.sh bake IMAGE TAG" >&2; exit 2; }
        image_id "$2" >/dev/null || { say "bake: no image $2"; exit 2; }
        baked=$(bake "$2" "$3")
        echo "IMAGE bake $3 $baked $(image_id "$3") built 0" ;;
    "") echo "usage: images/build.sh base|python|fenics|families|all|FAMILY|bake IMAGE TAG" >&2; exit 2 ;;
    *)
        if [ -f "$REPO/families/$what/Dockerfile" ] && [[ "$what" =~ ^[A-Za-z0-9._-]+$ ]]; then
            build_family "$what"
        else
            echo "usage: images/build.sh base|python|fenics|families|all|FAMILY (no families/$what/Dockerfile)" >&2; exit 2
        fi ;;
esac

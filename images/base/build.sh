#!/usr/bin/env bash
# images/base/build.sh — build the offline base image gssa/debian:bookworm.
#
# Stage 1 of the staged image setup: `debootstrap --variant=minbase bookworm`
# into a scratch directory, then `docker import` it. No Docker Hub involved.
# Skipped when the tag already exists (pass --force to rebuild).
#
# Env: GSSA_DEBIAN_MIRROR (default: the host's first deb.debian.org/debian URI,
#      else http://deb.debian.org/debian), GSSA_BASE_TAG (default gssa/debian:bookworm).
set -euo pipefail

TAG="${GSSA_BASE_TAG:-gssa/debian:bookworm}"
SUITE=bookworm
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

say() { echo "[base] $*" >&2; }

if [ "$FORCE" -eq 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    say "$TAG exists ($(docker image inspect --format '{{.Id}}' "$TAG")); skipping"
    exit 0
fi

# Mirror: follow the host's Debian sources when it has one, so offline/proxied hosts work.
MIRROR="${GSSA_DEBIAN_MIRROR:-}"
if [ -z "$MIRROR" ]; then
    # Only live entries: `URIs:` lines of deb822 files and `deb` lines of one-line files.
    MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
             | grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' \
             | grep -v security | head -n1 | tr -d ' ' || true)
    MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

if [ "$(id -u)" -ne 0 ]; then
    say "debootstrap needs root; run: sudo $0 $*"
    exit 1
fi

command -v debootstrap >/dev/null 2>&1 || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gssa-base.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"

say "debootstrap --variant=minbase $SUITE from $MIRROR"
start=$(date +%s)
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$ROOT" "$MIRROR" >&2
say "debootstrap took $(( $(date +%s) - start ))s"

# Apt sources inside the image: the same mirror plus security updates.
cat > "$ROOT/etc/apt/sources.list" <<SRC
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
SRC
# Keep images small: no docs/man pages, no apt caches.
cat > "$ROOT/etc/dpkg/dpkg.cfg.d/01-gssa-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
cat > "$ROOT/etc/apt/apt.conf.d/01-gssa" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CFG
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/*

# Content-hash tag of the recipe (this script + suite + mirror), like the Dockerfile images.
HASH=$( { sha256sum < "$0"; echo "$SUITE $MIRROR"; } | sha256sum | cut -c1-12)
say "docker import as $TAG (and ${TAG%%:*}:$HASH)"
start=$(date +%s)
tar -C "$ROOT" --numeric-owner -c . \
    | docker import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' \
        --change "LABEL org.gssa.recipe-hash=$HASH" \
        --change "LABEL org.gssa.image=base" \
        --message "gssa base: debootstrap --variant=minbase $SUITE" \
        - "$TAG" >&2
docker tag "$TAG" "${TAG%%:*}:$HASH"
say "import took $(( $(date +%s) - start ))s; $TAG = $(docker image inspect --format '{{.Id}}' "$TAG")"

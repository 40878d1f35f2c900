#!/usr/bin/env bash
# Makes the two base images the Dockerfile names, docker.io/library/debian:bookworm and
# docker.io/library/debian:bookworm-slim, from Debian's own packages with debootstrap, and
# imports them into the local container storage (podman/buildah share it). No registry is
# reachable from CI, so `buildah bud --pull=never` must find both locally.
#
# Idempotent and cached: an image already present is kept when it carries the current recipe
# label (or none: a real image pulled from Docker Hub is better than ours). Rebuilding takes one
# debootstrap (about two minutes); bump RECIPE when what this script makes changes.
#
# The images mirror what Debian's official images are (debuerreotype runs debootstrap
# --variant=minbase): bookworm is the minbase tree; bookworm-slim is the same tree without
# documentation, manual pages and translations, and a dpkg configuration that keeps later
# packages from installing them. apt uses the mirrors this machine uses (its own
# /etc/apt/sources.list.d/debian.sources when there is one), so `apt-get install` works in a
# build exactly as it does on the host.
#
# Needs root (debootstrap, rootful podman). Usage: tests/container/base_images.sh
set -euo pipefail

RECIPE=1
SUITE=bookworm
FULL=docker.io/library/debian:$SUITE
SLIM=docker.io/library/debian:$SUITE-slim
LABEL=org.corral.base-recipe

have_current() {  # image name -> 0 when present and (ours at this recipe, or not ours at all)
  local recipe
  podman image exists "$1" || return 1
  recipe=$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1")
  if [ -z "$recipe" ] || [ "$recipe" = "<no value>" ] || [ "$recipe" = "$RECIPE" ]; then
    return 0
  fi
  echo "base_images: $1 was made by recipe $recipe, not $RECIPE: making it again"
  return 1
}

if have_current "$FULL" && have_current "$SLIM"; then
  echo "base_images: $FULL and $SLIM present (cached)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "base_images: debootstrap and rootful podman need root" >&2
  exit 1
fi

# The mirror: the first URIs line of the host's deb822 sources, else Debian's CDN.
HOST_SOURCES=/etc/apt/sources.list.d/debian.sources
MIRROR=${CORRAL_DEBIAN_MIRROR:-}
if [ -z "$MIRROR" ] && [ -r "$HOST_SOURCES" ]; then
  MIRROR=$(sed -n 's/^URIs:[[:space:]]*//p' "$HOST_SOURCES" | head -n 1 | awk '{print $1}')
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}

WORK=$(mktemp -d /var/tmp/corral-base.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/rootfs

echo "base_images: debootstrap --variant=minbase $SUITE from $MIRROR"
started=$SECONDS
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 30 "$WORK/debootstrap.log" >&2
  echo "base_images: debootstrap failed (log above)" >&2
  exit 1
}

# apt sources: the host's own file when it has one (same mirrors, security included), else the
# layout of Debian's official images.
rm -f "$ROOT/etc/apt/sources.list"
if [ -r "$HOST_SOURCES" ] && [ -z "${CORRAL_DEBIAN_MIRROR:-}" ]; then
  cp "$HOST_SOURCES" "$ROOT/etc/apt/sources.list.d/debian.sources"
else
  printf '%s\n' "Types: deb" "URIs: $MIRROR" "Suites: $SUITE $SUITE-updates" "Components: main" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" \
    "Types: deb" "URIs: ${MIRROR%/debian}/debian-security" "Suites: $SUITE-security" \
    "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
    >"$ROOT/etc/apt/sources.list.d/debian.sources"
fi
# What a container image does not need: downloaded packages, package lists, logs of the install.
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/*.log \
  "$ROOT"/var/log/apt/* "$ROOT"/tmp/*
: >"$ROOT/etc/hostname"
: >"$ROOT/etc/resolv.conf"  # the runtime provides it

import() {  # dir name
  tar --numeric-owner --xattrs -C "$1" -c . |
    podman import --quiet --change "CMD [\"bash\"]" --change "LABEL $LABEL=$RECIPE" - "$2" >/dev/null
  echo "base_images: imported $2 ($(podman image inspect --format '{{.Size}}' "$2") bytes)"
}
import "$ROOT" "$FULL"

# slim: no documentation (copyright files stay: the licences travel with the binaries), no manual
# pages, no translations; and dpkg told to leave them out of every later install too.
mkdir -p "$ROOT/etc/dpkg/dpkg.cfg.d"
printf '%s\n' \
  "# Made by Corral's tests/container/base_images.sh, as in Debian's slim images." \
  "path-exclude /usr/share/doc/*" "path-include /usr/share/doc/*/copyright" \
  "path-exclude /usr/share/man/*" "path-exclude /usr/share/info/*" \
  "path-exclude /usr/share/locale/*" "path-include /usr/share/locale/locale.alias" \
  "path-exclude /usr/share/groff/*" "path-exclude /usr/share/lintian/*" \
  "path-exclude /usr/share/linda/*" >"$ROOT/etc/dpkg/dpkg.cfg.d/corral-slim"
find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/groff/* \
  "$ROOT"/usr/share/lintian/* "$ROOT"/usr/share/linda/*
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
import "$ROOT" "$SLIM"
echo "base_images: done in $((SECONDS - started)) s"

#!/bin/bash
# Makes the sample's base image, localhost/debian-nginx:bookworm: Debian 12 (debootstrap
# minbase) with nginx-light, the stand-in for "your existing nginx image". It is made locally
# because no registry may be reachable; it needs root, debootstrap, podman and a Debian mirror.
#
#   make-base-image.sh [IMAGE]
#
# Cached twice, so only the first run pays for debootstrap (about a minute):
#   - the podman image itself: kept while it carries this script's cache key (a label);
#   - a tarball of the root filesystem under $MICROENFORCER_CACHE (default
#     /var/cache/microenforcer), which survives `podman system reset` / `podman rmi`.
# Editing this script changes the key, so a stale image or tarball is never reused.
# DEBIAN_MIRROR overrides the mirror (default: the one apt uses on Debian, deb.debian.org).
set -euo pipefail

image="${1:-localhost/debian-nginx:bookworm}"
cache="${MICROENFORCER_CACHE:-/var/cache/microenforcer}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
podman=(podman --runtime runc --cgroup-manager cgroupfs)
key="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
tarball="$cache/debian-nginx-bookworm-$key.tar"
label=dev.microenforcer.sample.base-key

say() { echo "make-base-image: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (debootstrap)"; exit 1; }
for tool in debootstrap podman runc; do
  command -v "$tool" >/dev/null || { say "'$tool' not found: apt-get install podman runc debootstrap"; exit 1; }
done

mkdir -p "$cache"
# Two test runs (or a test run and a user) may start this at once: one builds, the other waits.
exec 9>"$cache/.debian-nginx.lock"
flock 9

if [ "$("${podman[@]}" image inspect --format "{{index .Labels \"$label\"}}" "$image" 2>/dev/null)" = "$key" ]; then
  say "$image is up to date (key $key)"
  exit 0
fi

if [ ! -f "$tarball" ]; then
  rootfs="$(mktemp -d "${TMPDIR:-/var/tmp}/debian-nginx.XXXXXX")"
  cleanup() {
    # A failed debootstrap can leave /proc or /sys mounted inside: never delete through them.
    { findmnt -rn -o TARGET | grep "^$rootfs/" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
    rm -rf --one-file-system "$rootfs"
  }
  trap cleanup EXIT
  say "debootstrap bookworm from $mirror into $rootfs (about a minute)"
  debootstrap --variant=minbase --include=nginx-light bookworm "$rootfs" "$mirror" >&2

  # What an nginx container image needs, as the official nginx image does it:
  # logs on the container's stdout/stderr (where `podman logs` reads them) instead of files...
  sed -i -e 's|^\(\s*\)access_log .*;|\1access_log /dev/stdout;|' \
         -e 's|^\(\s*\)error_log .*;|\1error_log stderr;|' "$rootfs/etc/nginx/nginx.conf"
  grep -q 'access_log /dev/stdout;' "$rootfs/etc/nginx/nginx.conf" && grep -q 'error_log stderr;' "$rootfs/etc/nginx/nginx.conf" \
    || { say "nginx.conf does not have the expected log directives"; exit 1; }
  # ...a page of our own, so a test can tell it is this image answering...
  printf '<!doctype html>\n<title>MicroEnforcer sample</title>\n<h1>nginx on Debian 12, under MicroEnforcer</h1>\n' \
    > "$rootfs/var/www/html/index.html"
  # ...and nothing of the build host: no package cache, lists, device nodes or resolver config
  # (podman provides /dev and /etc/resolv.conf; an empty file keeps the mount point on --read-only).
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  find "$rootfs/dev" -mindepth 1 -delete
  : > "$rootfs/etc/resolv.conf"

  tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  # Older tarballs were made by another version of this script.
  find "$cache" -maxdepth 1 -name 'debian-nginx-bookworm-*.tar' ! -name "${tarball##*/}" -delete
fi

say "importing $tarball as $image"
previous="$("${podman[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
"${podman[@]}" import \
  --change 'CMD ["nginx", "-g", "daemon off;"]' \
  --change 'EXPOSE 80' \
  --change "LABEL $label=$key" \
  "$tarball" "$image" >/dev/null
# The image this replaces is left without a name; images built FROM it still keep it.
[ -z "$previous" ] || "${podman[@]}" rmi "$previous" >/dev/null 2>&1 || true
say "$image ready"

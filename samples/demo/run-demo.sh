#!/bin/bash
# MicroEnforcer demo: a workload under the enforcer, in a throw-away root filesystem.
#
# Builds a tiny image (busybox-static: no libc at all), starts the enforcer as PID 1 of fresh
# pid and mount namespaces on an overlay of that image — the way a container runtime would —
# and runs a workload that tries the acceptance scenario: copy /bin/ls to /bin/list and run it.
# Needs root (namespaces, overlay mounts) and busybox-static.
set -euo pipefail

binary="$(realpath "${1:-artifacts/microenforcer}")"
[ "$(id -u)" = 0 ] || { echo "run-demo: needs root (it creates pid and mount namespaces)" >&2; exit 1; }
[ -x "$binary" ] || { echo "run-demo: $binary not found; run 'make build'" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "run-demo: /bin/busybox not found; apt-get install busybox-static" >&2; exit 1; }

work="$(mktemp -d /tmp/microenforcer-demo.XXXXXX)"
trap 'rm -rf "$work"' EXIT
image="$work/image"
mkdir -p "$image"/{bin,sbin,usr/bin,usr/sbin,proc,dev,tmp,etc,.microenforcer} "$work"/{upper,work,merged}
cp /bin/busybox "$image/bin/busybox"
for applet in $(/bin/busybox --list-full); do
  [ -e "$image/$applet" ] || ln -s /bin/busybox "$image/$applet"
done
cp "$binary" "$image/.microenforcer/microenforcer"

bold=$'\e[1m'; dim=$'\e[2m'; reset=$'\e[0m'
[ -t 1 ] || { bold=; dim=; reset=; }

echo "${bold}MicroEnforcer demo${reset}"
echo "image: busybox-static, $(find "$image" -type f | wc -l) files, no libc"
echo "running: microenforcer run -- /bin/sh -c <workload>   (as PID 1, on an overlay of the image)"
echo

# The workload: what an attacker with a shell in the container would try.
workload='
step() { printf "\n\033[1m$ %s\033[0m\n" "$*"; }
step "ls /bin | head -3          # an image binary: allowed"
ls /bin | head -3
step "cp /bin/ls /bin/list; list # a copy is not the image: blocked"
cp /bin/ls /bin/list; list; echo "(exit status $?)"
step "ls -l /bin/ls /bin/list     # the original still works"
ls -l /bin/ls /bin/list
step "printf ... > /tmp/evil.sh; /tmp/evil.sh   # a dropped script: blocked"
printf "#!/bin/sh\necho owned\n" > /tmp/evil.sh; chmod +x /tmp/evil.sh; /tmp/evil.sh; echo "(exit status $?)"
'

setup='
set -e
R="$ME_WORK/merged"
mount -t overlay overlay -o "lowerdir=$ME_IMAGE,upperdir=$ME_WORK/upper,workdir=$ME_WORK/work" "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs tmpfs "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
exec chroot "$R" /.microenforcer/microenforcer run -- /bin/sh -c "$ME_WORKLOAD"
'

status=0
ME_IMAGE="$image" ME_WORK="$work" ME_WORKLOAD="$workload" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  unshare --pid --fork --mount --propagation private -- /bin/sh -c "$setup" 2>"$work/stderr" || status=$?

echo
echo "${bold}What the enforcer wrote on stderr${reset} ${dim}(its log, then the workload's own errors)${reset}"
grep -v '^{' "$work/stderr" || true
echo
echo "${bold}Audit events${reset} ${dim}(one JSON object per line, as a log collector receives them)${reset}"
grep '^{' "$work/stderr" || { echo "no audit events: the demo did not show a block" >&2; exit 1; }
echo
blocked=$(grep -c '"action":"blocked"' "$work/stderr" || true)
echo "${bold}Result:${reset} workload exited with status $status; $blocked drifted exec(s) blocked and audited."
[ "$blocked" -ge 2 ]

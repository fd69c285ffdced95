#!/bin/bash
# MicroEnforcer audit demo: the events of a workload arrive at an OpenTelemetry (OTLP/HTTP) receiver
# and a syslog receiver, and a change to the policy file is applied live and reported.
#
# Starts samples/audit-receiver (an OTLP/HTTP logs receiver on 127.0.0.1:4318 and a syslog TCP
# listener on 127.0.0.1:6514, each printing one line per event), then the enforcer as PID 1 of
# fresh pid and mount namespaces on an overlay of a busybox image, as in `make demo`, with
# `run --policy /etc/microenforcer/policy.yaml`: a policy whose spec.audit names stderr, the
# OTLP sink and the syslog sink. The policy file is the host's $work/policy/policy.yaml, its
# directory bind-mounted read-only into the container (as a ConfigMap volume is: the enforcer
# reloads only a policy the workload cannot rewrite). The workload runs a drifted binary (blocked), then waits; the demo replaces
# the policy file (a new Executables Blocked entry, fetch) the way a ConfigMap update does (a new
# file renamed over the old); the enforcer reloads it and reports a policyReload event to every
# sink; the workload's fetch (an image program) is then blocked.
# Needs root (namespaces, overlay mounts), busybox-static and the .NET SDK (dotnet run).
# DEMO_OTLP_PORT and DEMO_SYSLOG_PORT choose other ports.
set -euo pipefail

binary="$(realpath "${1:-artifacts/microenforcer}")"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
otlp_port="${DEMO_OTLP_PORT:-4318}"
syslog_port="${DEMO_SYSLOG_PORT:-6514}"
[ "$(id -u)" = 0 ] || { echo "run-demo-audit: needs root (it creates pid and mount namespaces)" >&2; exit 1; }
[ -x "$binary" ] || { echo "run-demo-audit: $binary not found; run 'make build'" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "run-demo-audit: /bin/busybox not found; apt-get install busybox-static" >&2; exit 1; }
command -v dotnet >/dev/null || { echo "run-demo-audit: dotnet not found (the receivers are a .NET console program)" >&2; exit 1; }

work="$(mktemp -d /tmp/microenforcer-demo-audit.XXXXXX)"
receiver_pid=
cleanup() {
  [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bold=$'\e[1m'; dim=$'\e[2m'; reset=$'\e[0m'
[ -t 1 ] || { bold=; dim=; reset=; }

# The image: busybox-static only, as in samples/demo/run-demo.sh.
image="$work/image"
mkdir -p "$image"/{bin,sbin,usr/bin,usr/sbin,proc,dev,tmp,etc/microenforcer,run/demo,.microenforcer} "$work"/{upper,work,merged,policy,signal}
cp /bin/busybox "$image/bin/busybox"
for applet in $(/bin/busybox --list-full); do
  [ -e "$image/$applet" ] || ln -s /bin/busybox "$image/$applet"
done
cp "$binary" "$image/.microenforcer/microenforcer"
# An image program the policy change will list. A script, not a busybox applet: busybox's shell
# runs its applets without an exec, so there would be no exec to block.
printf '#!/bin/sh\necho "fetch: downloading..."\n' > "$image/usr/bin/fetch"
chmod 755 "$image/usr/bin/fetch"

echo "${bold}MicroEnforcer audit demo${reset}"
echo ">> building and starting the receivers (samples/audit-receiver)"
dotnet build "$repo/samples/audit-receiver" -c Release --nologo -v q >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
dotnet run --project "$repo/samples/audit-receiver" -c Release --no-build -- --otlp "$otlp_port" --syslog "$syslog_port" >"$work/receiver.log" 2>&1 &
receiver_pid=$!
for _ in $(seq 100); do grep -q '^audit-receiver:' "$work/receiver.log" && break; kill -0 "$receiver_pid" 2>/dev/null || break; sleep 0.1; done
grep -q '^audit-receiver:' "$work/receiver.log" || { echo "run-demo-audit: the receivers did not start:" >&2; cat "$work/receiver.log" >&2; exit 1; }
cat "$work/receiver.log"

policy() {   # the policy, with the Executables Blocked list given
  cat <<POLICY
apiVersion: microenforcer.dev/v1
kind: RuntimePolicy
metadata: { name: demo-audit }
spec:
  audit:
    flushTimeout: 5s
    sinks:
      - type: stderr
      - type: otlp
        endpoint: http://127.0.0.1:$otlp_port/v1/logs
      - type: syslog
        address: 127.0.0.1:$syslog_port
        appName: microenforcer
  driftPrevention: { enabled: true, mode: enforce }
  executablesBlocked: { enabled: true, executables: [$1] }
POLICY
}
policy nc > "$work/policy/policy.yaml"
echo
echo "${bold}The policy${reset} ${dim}($work/policy/policy.yaml, bind-mounted read-only at /etc/microenforcer/policy.yaml)${reset}"
cat "$work/policy/policy.yaml"

workload='
step() { printf "\n\033[1mworkload $ %s\033[0m\n" "$*"; }
step "cp /bin/ls /bin/list; list   # a drifted binary: blocked"
cp /bin/ls /bin/list; list; echo "(exit status $?)"
step "fetch                         # an image program, not listed yet: runs"
fetch
echo "workload: waiting for the policy change"
while [ ! -e /run/demo/changed ]; do sleep 0.2; done
step "fetch                         # now listed in executablesBlocked: blocked"
fetch; echo "(exit status $?)"
'

setup='
set -e
R="$ME_WORK/merged"
mount -t overlay overlay -o "lowerdir=$ME_IMAGE,upperdir=$ME_WORK/upper,workdir=$ME_WORK/work" "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs tmpfs "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/urandom" c 1 9
mount --bind "$ME_WORK/policy" "$R/etc/microenforcer"
mount -o remount,bind,ro "$R/etc/microenforcer"
mount --bind "$ME_WORK/signal" "$R/run/demo"
exec chroot "$R" /.microenforcer/microenforcer run --policy /etc/microenforcer/policy.yaml -- /bin/sh -c "$ME_WORKLOAD"
'

echo
echo "${bold}Running${reset}: microenforcer run --policy /etc/microenforcer/policy.yaml -- /bin/sh -c <workload>"
echo "${dim}(receiver lines are prefixed otlp | and syslog |)${reset}"
tail -n 0 -f "$work/receiver.log" &
tail_pid=$!
ME_IMAGE="$image" ME_WORK="$work" ME_WORKLOAD="$workload" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  unshare --pid --fork --mount --propagation private -- /bin/sh -c "$setup" >"$work/stdout" 2>"$work/stderr" &
container_pid=$!
tail -n +1 -f "$work/stdout" &
stdout_pid=$!

for _ in $(seq 300); do grep -q 'waiting for the policy change' "$work/stdout" && break; kill -0 "$container_pid" 2>/dev/null || break; sleep 0.1; done
grep -q 'waiting for the policy change' "$work/stdout" || { kill "$tail_pid" "$stdout_pid"; echo "run-demo-audit: the workload did not start:" >&2; cat "$work/stderr" >&2; exit 1; }
sleep 1   # let the first events reach the receivers before the change is shown

echo
echo "${bold}Changing the policy file${reset}: executablesBlocked [nc] -> [nc, fetch] ${dim}(a new file renamed over the old, as a ConfigMap update)${reset}"
policy "nc, fetch" > "$work/policy/policy.yaml.new"
mv "$work/policy/policy.yaml.new" "$work/policy/policy.yaml"
reloaded=no
for _ in $(seq 300); do grep -q 'policyReload' "$work/receiver.log" && { reloaded=yes; break; }; sleep 0.1; done
[ "$reloaded" = yes ] || echo "${bold}no policyReload event within 30 s${reset} (a binary without hot reload keeps the policy it started with)"
touch "$work/signal/changed"

status=0
wait "$container_pid" || status=$?
sleep 1   # the receivers print what the flush at exit delivered
kill "$tail_pid" "$stdout_pid" 2>/dev/null || true
wait "$tail_pid" "$stdout_pid" 2>/dev/null || true

echo
echo "${bold}The enforcer's log${reset} ${dim}(stderr without the audit JSON lines)${reset}"
grep -v '^{' "$work/stderr" || true
echo
otlp_events=$(grep -c '^otlp ' "$work/receiver.log" || true)
syslog_events=$(grep -c '^syslog ' "$work/receiver.log" || true)
stderr_events=$(grep -c '^{' "$work/stderr" || true)
echo "${bold}Result:${reset} workload exited with status $status; audit events: $stderr_events on stderr, $otlp_events at the OTLP receiver, $syslog_events at the syslog receiver; policy reload reported: $reloaded."
[ "$otlp_events" -ge 3 ] && [ "$syslog_events" -ge 3 ] && [ "$reloaded" = yes ]

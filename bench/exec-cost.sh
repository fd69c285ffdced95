#!/bin/bash
# Cost of one exec and one fork under the enforcer, against the same without it, in the same
# pid+mount namespaces on the same overlay root (busybox-static image). Rounds are interleaved
# (native, enforced, enforced without Fork Guard, native, ...) so that a noisy machine affects
# all alike; the figures are medians of the rounds, and the ratios compare figures of one run.
#
#   allowed: fork + exec of an image binary (a static C program that exits at once)
#   blocked: fork + exec of a copy of it in /tmp (runs natively; refused with EACCES when enforced)
#   fork:    fork + _exit + waitpid (Fork Guard decides every fork; the other run turns it off)
#
# usage: bench/exec-cost.sh [BINARY] [ROUNDS] [EXECS_PER_ROUND]   writes bench/results.json
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-artifacts/microenforcer}")"
rounds="${2:-7}"
per_round="${3:-2000}"
[ "$(id -u)" = 0 ] || { echo "exec-cost: needs root" >&2; exit 1; }

work="$(mktemp -d /tmp/microenforcer-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
image="$work/image"
mkdir -p "$image"/{bin,proc,dev,tmp,opt,.microenforcer} "$work"/{upper,work,merged}
cp /bin/busybox "$image/bin/busybox"
for applet in $(/bin/busybox --list-full); do [ -e "$image/$applet" ] || { mkdir -p "$(dirname "$image/$applet")"; ln -s /bin/busybox "$image/$applet"; }; done
gcc -static -O2 -o "$image/opt/exec_loop" bench/exec_loop.c
gcc -static -O2 -o "$image/opt/fork_loop" bench/fork_loop.c
mkdir -p "$image/etc"
printf 'apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec:\n  forkGuard: { enabled: false }\n' > "$image/etc/no-fork-guard.yaml"
printf 'int main(void){return 0;}\n' > "$work/nop.c"
gcc -static -O2 -o "$image/opt/nop" "$work/nop.c"
cp "$binary" "$image/.microenforcer/microenforcer"

# Runs $1 (native|enforced|noforkguard) in a fresh container; prints "allowed_ns blocked_ns fork_ns".
measure() {
  local pid1=(/bin/sh -c)
  [ "$1" = enforced ] && pid1=(/.microenforcer/microenforcer run --log-level Warning -- /bin/sh -c)
  [ "$1" = noforkguard ] && pid1=(/.microenforcer/microenforcer run --log-level Warning --policy /etc/no-fork-guard.yaml -- /bin/sh -c)
  rm -rf "$work/upper" "$work/work"; mkdir -p "$work/upper" "$work/work"
  ME_IMAGE="$image" ME_WORK="$work" unshare --pid --fork --mount --propagation private -- /bin/sh -c '
    set -e
    R="$ME_WORK/merged"
    mount -t overlay overlay -o "lowerdir=$ME_IMAGE,upperdir=$ME_WORK/upper,workdir=$ME_WORK/work" "$R"
    mount -t proc proc "$R/proc"; mount -t tmpfs tmpfs "$R/tmp"
    exec chroot "$R" "$@"' sh "${pid1[@]}" \
    "cp /opt/nop /tmp/nop; /opt/exec_loop /opt/nop 200 >/dev/null; a=\$(/opt/exec_loop /opt/nop $per_round); b=\$(/opt/exec_loop /tmp/nop $per_round); f=\$(/opt/fork_loop $per_round); echo \"\$a \$b \$f\"" 2>/dev/null
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

: > "$work/native"; : > "$work/enforced"; : > "$work/noforkguard"
for ((i = 1; i <= rounds; i++)); do
  measure native >> "$work/native"
  measure enforced >> "$work/enforced"
  measure noforkguard >> "$work/noforkguard"
  echo "round $i/$rounds: native $(tail -1 "$work/native") enforced $(tail -1 "$work/enforced") without fork guard $(tail -1 "$work/noforkguard") (ns: allowed blocked fork)" >&2
done

na=$(cut -d' ' -f1 "$work/native" | median); nb=$(cut -d' ' -f2 "$work/native" | median)
ea=$(cut -d' ' -f1 "$work/enforced" | median); eb=$(cut -d' ' -f2 "$work/enforced" | median)
nf=$(cut -d' ' -f3 "$work/native" | median); ef=$(cut -d' ' -f3 "$work/enforced" | median)
gf=$(cut -d' ' -f3 "$work/noforkguard" | median); ga=$(cut -d' ' -f1 "$work/noforkguard" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
us() { awk -v a="$1" 'BEGIN { printf "%.0f", a / 1000 }'; }

mkdir -p bench
cat > bench/results.json <<JSON
{
  "benchmark": "exec-cost",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "machine": "$(nproc) cores, $(uname -r)",
  "rounds": $rounds,
  "execsPerRound": $per_round,
  "nanosecondsPerExec": {
    "allowed": { "native": $na, "enforced": $ea, "ratio": $(ratio "$ea" "$na"), "enforcedWithoutForkGuard": $ga, "ratioWithoutForkGuard": $(ratio "$ga" "$na") },
    "blocked": { "native": $nb, "enforced": $eb, "ratio": $(ratio "$eb" "$nb") }
  },
  "nanosecondsPerFork": {
    "native": $nf,
    "forkGuardOn": { "enforced": $ef, "ratio": $(ratio "$ef" "$nf") },
    "forkGuardOff": { "enforced": $gf, "ratio": $(ratio "$gf" "$nf") }
  }
}
JSON
echo "allowed exec (fork+exec+wait of an image binary): native $(us "$na") us, enforced $(us "$ea") us, ratio $(ratio "$ea" "$na"); without Fork Guard $(us "$ga") us, ratio $(ratio "$ga" "$na")"
echo "blocked exec (same, of a drifted copy):           native $(us "$nb") us (it runs), enforced $(us "$eb") us (EACCES), ratio $(ratio "$eb" "$nb")"
echo "fork (fork+_exit+wait):                            native $(us "$nf") us, Fork Guard on $(us "$ef") us (ratio $(ratio "$ef" "$nf")), off $(us "$gf") us (ratio $(ratio "$gf" "$nf"))"

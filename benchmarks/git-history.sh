#!/usr/bin/env bash
# Benchmark: `leakguard scan --git` against `gitleaks git` (v8.30.1) on the
# same real-size history: a copy of a real source tree (default: Go's src/,
# ~11k files) plus COMMITS edits, with valid tokens added then deleted, a
# token on a merged side branch, and look-alikes (bad checksums) in edits.
# Reports wall time, CPU time and peak memory (PSS) of each tool's whole process tree
# (git children included, sampled every 20 ms), and checks that leakguard
# finds every planted token, each with its commit, and nothing else.
#
# Usage: benchmarks/git-history.sh [SRC_DIR] [COMMITS] [PLANT_EVERY]
# Needs: git, python3, gitleaks on PATH (go install github.com/zricethezav/gitleaks/v8@v8.30.1)
# LEAKGUARD_BIN=path uses a built binary instead of building cmd/leakguard.
set -euo pipefail
src=${1:-$(go env GOROOT)/src}
commits=${2:-3000}
every=${3:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${LEAKGUARD_BIN:-}" ]; then cp "$LEAKGUARD_BIN" "$work/leakguard"; else go build -o "$work/leakguard" "$root/cmd/leakguard"; fi
git init -q -b main "$work/repo"
python3 "$root/benchmarks/git-history-gen.py" "$src" "$work/planted" "$commits" "$every" | git -C "$work/repo" fast-import --quiet
git -C "$work/repo" repack -adq
echo "history: $(git -C "$work/repo" rev-list --all | wc -l) commits, $(git -C "$work/repo" rev-list --objects --all --filter=object:type=blob | wc -l) unique blobs, pack $(du -sh "$work/repo/.git/objects/pack" | cut -f1), $(wc -l < "$work/planted") planted tokens"

# tree_rss PID: summed proportional set size (KB) of PID and its
# descendants (PSS: pages of the pack file shared by two git processes are
# counted once, not twice).
tree_rss() {
  local total=0 pids="$1" next p r
  while [ -n "$pids" ]; do
    next=""
    for p in $pids; do
      r=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
      total=$(( total + ${r:-0} ))
      next="$next $(cat /proc/"$p"/task/*/children 2>/dev/null)"
    done
    pids=$(echo $next)
  done
  echo "$total"
}

# measure NAME CMD...: runs CMD, prints wall, CPU and peak tree RSS.
measure() {
  local name=$1; shift
  local start end peak=0 rss
  times > "$work/t0"
  start=$(date +%s%N)
  "$@" > "$work/$name.out" 2> "$work/$name.err" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(tree_rss "$pid"); [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.02
  done
  wait "$pid" || true
  end=$(date +%s%N)
  times > "$work/t1"
  local cpu
  cpu=$(cat "$work/t0" "$work/t1" | paste -sd' ' | sed 's/[ms]/ /g' | awk '{printf "%.1f", ($13*60+$14+$15*60+$16)-($5*60+$6+$7*60+$8)}')
  printf '%-10s wall %6.1f s   CPU %6.1f s   peak PSS %4d MB\n' "$name" "$(echo "($end-$start)/1000000000" | bc -l)" "$cpu" $(( peak / 1024 ))
}

measure leakguard "$work/leakguard" scan --git --format json "$work/repo"
measure gitleaks gitleaks git "$work/repo" --no-banner --log-level error --report-format json --report-path "$work/gitleaks.json"

python3 - "$work/planted" "$work/leakguard.out" "$work/gitleaks.json" <<'PY'
import hashlib, json, sys
planted = set(open(sys.argv[1]).read().split())
lg = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
got = {f["token_hash"] for f in lg}
print(f"leakguard: {len(lg)} findings, {len(planted & got)}/{len(planted)} planted found, "
      f"{len(got - planted)} other tokens, {sum(len(f.get('commit', '')) == 40 for f in lg)} with a commit")
gl = json.load(open(sys.argv[3]))
ggot = {hashlib.sha256(f["Secret"].encode()).hexdigest() for f in gl}
print(f"gitleaks:  {len(gl)} findings, {len(planted & ggot)}/{len(planted)} planted found (the rest are look-alikes and generic matches)")
PY

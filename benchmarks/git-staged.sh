#!/usr/bin/env bash
# Benchmark: `leakguard scan --staged` for a one-file commit in a repository
# of 10,000 files (the pre-commit hook's cost). Target: under 100 ms.
# Usage: benchmarks/git-staged.sh [FILES] [RUNS]
# LEAKGUARD_BIN=path uses a built binary instead of building cmd/leakguard.
set -euo pipefail
files=${1:-10000}
runs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${LEAKGUARD_BIN:-}" ]; then
  cp "$LEAKGUARD_BIN" "$work/leakguard"
else
  go build -o "$work/leakguard" "$root/cmd/leakguard"
fi
repo="$work/repo"
git init -q -b main "$repo"
{
  for i in $(seq 1 "$files"); do
    content="package p$i // file $i of the benchmark repository"
    printf 'blob\nmark :%d\ndata %d\n%s\n' "$i" "$(( ${#content} + 1 ))" "$content"
  done
  printf 'commit refs/heads/main\ncommitter Bench <bench@example.org> 1700000000 +0000\ndata 5\ninit\n'
  for i in $(seq 1 "$files"); do
    printf 'M 100644 :%d src/d%d/f%d.go\n' "$i" $(( i % 100 )) "$i"
  done
} | git -C "$repo" fast-import --quiet
git -C "$repo" reset -q --hard main
echo "// one more line" >> "$repo/src/d7/f7.go"
git -C "$repo" add src/d7/f7.go

cd "$repo"
"$work/leakguard" scan --staged >/dev/null 2>&1 # warm the page cache
# Wall time is reported with the process-tree CPU time (user+sys, from
# bash's `times`), which a busy machine inflates far less.
cputime() { tr '\n' ' ' < "$1" | sed 's/[ms]/ /g' | awk '{printf "%.3f", $5*60+$6+$7*60+$8}'; }
times > "$work/times0"
start=$(date +%s%N)
for _ in $(seq 1 "$runs"); do
  "$work/leakguard" scan --staged >/dev/null 2>&1
done
end=$(date +%s%N)
times > "$work/times1"
cpu=$(awk -v a="$(cputime "$work/times0")" -v b="$(cputime "$work/times1")" -v n="$runs" 'BEGIN{printf "%.0f", (b-a)*1000/n}')
echo "scan --staged, one staged file in a $files-file repository: $(( (end - start) / runs / 1000000 )) ms wall, ${cpu} ms CPU (leakguard + git, user+sys) per run (mean of $runs)"

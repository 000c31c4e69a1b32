#!/usr/bin/env bash
# Benchmark: `leakguard scan --staged` for a one-file commit in a repository
# of 10,000 files (the pre-commit hook's cost). Target: under 100 ms.
# Usage: benchmarks/git-staged.sh [FILES] [RUNS]
set -euo pipefail
files=${1:-10000}
runs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/leakguard" "$root/cmd/leakguard"
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
"$work/leakguard" scan --staged >/dev/null # warm the page cache
start=$(date +%s%N)
for _ in $(seq 1 "$runs"); do
  "$work/leakguard" scan --staged >/dev/null
done
end=$(date +%s%N)
echo "scan --staged, one staged file in a $files-file repository: $(( (end - start) / runs / 1000000 )) ms per run (mean of $runs, whole process)"

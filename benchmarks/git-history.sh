#!/usr/bin/env bash
# Benchmark: `leakguard scan --git` against `gitleaks git` (v8.30.1) and
# against the floor of any blob-level history scan: `git rev-list --objects`
# piped into one `git cat-file --batch` over the same blobs (what leakguard
# reads, without scanning or attributing anything).
#
# By default the history is generated (benchmarks/git-history-gen.py): a copy
# of a real source tree (default: Go's src/, ~11k files) plus COMMITS edits,
# valid tokens added then deleted, a token on a merged side branch, and
# look-alikes (bad checksums) in edits; the script then checks that leakguard
# finds every planted token, each with its commit, and nothing else. With
# REPO set, an existing repository is scanned instead (RANGE: its revisions,
# as `scan --git --range` takes them; default every ref).
#
# leakguard and the floor run RUNS times each, alternating, after one warm-up
# run each; the script prints each run and the medians (wall: perf_counter
# around the child; CPU: the getrusage(RUSAGE_CHILDREN) delta, git children
# included). gitleaks runs once (it takes minutes), under /usr/bin/time.
#
# Usage:
#   benchmarks/git-history.sh [SRC_DIR] [COMMITS] [PLANT_EVERY]
#   TOKENS=200 benchmarks/git-history.sh "$(go env GOROOT)/src" 2000     # 200 tokens in 200 files
#   REPO=/srv/mirror/app.git RANGE='v1.0..main' benchmarks/git-history.sh
# Environment: RUNS (5), TOKENS, KEEP=1 (token files not deleted), REPO, RANGE,
# ALLOW_MISSING=1 (a partial clone: --allow-missing, and the floor skips
# missing objects), SKIP_GITLEAKS=1, LEAKGUARD_BIN (a built binary instead of
# building cmd/leakguard), KEEP_WORK=1 (keep the work directory).
# Needs: git, python3, /usr/bin/time, gitleaks on PATH
# (go install github.com/zricethezav/gitleaks/v8@v8.30.1).
set -euo pipefail
src=${1:-$(go env GOROOT)/src}
commits=${2:-3000}
every=${3:-100}
runs=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
if [ -z "${KEEP_WORK:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "work directory: $work"; fi

if [ -n "${LEAKGUARD_BIN:-}" ]; then cp "$LEAKGUARD_BIN" "$work/leakguard"; else go build -o "$work/leakguard" "$root/cmd/leakguard"; fi

if [ -n "${REPO:-}" ]; then
  repo=$REPO
  : > "$work/planted"
else
  repo=$work/repo
  git init -q -b main "$repo"
  gen=("$src" "$work/planted" "$commits" "$every")
  [ -n "${TOKENS:-}" ] && gen+=(--tokens "$TOKENS")
  [ -n "${KEEP:-}" ] && gen+=(--keep)
  python3 "$root/benchmarks/git-history-gen.py" "${gen[@]}" | git -C "$repo" fast-import --quiet
  git -C "$repo" repack -adq
fi
range=${RANGE:-}
read -r -a revs <<< "${range:---all}"
missing=()
# --no-archives: like for like with gitleaks and the floor, which open no
# archives in blobs (and GOROOT's test archives, some broken on purpose,
# would make the scan exit 2). ARCHIVES=1 measures the default instead.
lgflags=()
[ -n "${ARCHIVES:-}" ] || lgflags+=(--no-archives)
if [ -n "${ALLOW_MISSING:-}" ]; then missing=(--missing=allow-any); lgflags+=(--allow-missing); fi
[ -n "$range" ] && lgflags+=(--range "$range")

# The floor: every blob of the history listed once, read once.
cat > "$work/floor.sh" <<EOF
#!/bin/sh
cd '$repo' || exit 2
git rev-list --objects ${missing[*]:-} ${revs[*]} --filter=object:type=blob |
  git cat-file --batch='%(objectname) %(objecttype) %(objectsize) %(rest)' --buffer >/dev/null
EOF
chmod +x "$work/floor.sh"

blobs=$(git -C "$repo" rev-list --objects "${missing[@]}" "${revs[@]}" --filter=object:type=blob | awk 'NF > 1 { print $1 }' |
  git -C "$repo" cat-file --batch-check='%(objecttype) %(objectsize)' | awk '$1 == "blob" { n++; s += $2 } END { printf "%d unique blobs, %.0f MB of blob content", n, s / 1e6 }')
echo "history: $(git -C "$repo" rev-list --count "${revs[@]}") commits, $blobs, pack $(du -sh "$(git -C "$repo" rev-parse --path-format=absolute --git-path objects/pack)" | cut -f1), $(wc -l < "$work/planted") planted tokens"
echo "leakguard: leakguard scan --git --format json ${lgflags[*]:-} REPO"
echo "floor:     $(sed -n 3,4p "$work/floor.sh" | tr -s ' \n' ' ')"

python3 - "$runs" "$work" "$work/leakguard" scan --git --format json "${lgflags[@]}" "$repo" <<'PY'
import resource, statistics, subprocess, sys, time
runs, work, lg = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
cmds = {"leakguard": lg, "floor": ["sh", work + "/floor.sh"]}
res = {k: [] for k in cmds}
def once(name, keep):
    out = open(f"{work}/{name}.out", "wb") if keep else subprocess.DEVNULL
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(cmds[name], stdout=out, stderr=open(f"{work}/{name}.err", "wb")).returncode
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if name == "floor" and rc != 0 or name == "leakguard" and rc not in (0, 1):
        sys.exit(f"{name} failed (exit {rc}): " + open(f"{work}/{name}.err").read())
    return t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
for name in cmds:
    once(name, True)  # warm-up; leakguard's findings are checked below
for i in range(runs):
    for name in cmds:
        res[name].append(once(name, False))
for name, rs in res.items():
    walls, cpus = [w for w, _ in rs], [c for _, c in rs]
    print(f"{name:9s} {runs} runs: wall min {min(walls):.2f} / median {statistics.median(walls):.2f} / max {max(walls):.2f} s;"
          f" CPU median {statistics.median(cpus):.2f} s")
ratios = [a[0] / b[0] for a, b in zip(res["leakguard"], res["floor"])]
print(f"leakguard / floor, wall, pair by pair: median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
open(f"{work}/lg.median", "w").write(f"{statistics.median(w for w, _ in res['leakguard'])} {statistics.median(c for _, c in res['leakguard'])}\n")
PY

if [ -z "${SKIP_GITLEAKS:-}" ]; then
  glopts=()
  [ -n "$range" ] && glopts=(--log-opts="$range")
  /usr/bin/time -f '%e %U %S %M' -o "$work/gitleaks.time" \
    gitleaks git "$repo" --no-banner --log-level error --report-format json --report-path "$work/gitleaks.json" "${glopts[@]}" \
    > /dev/null 2> "$work/gitleaks.err" || true
  read -r gw gu gs gm < <(tail -1 "$work/gitleaks.time")
  read -r lw lc < "$work/lg.median"
  python3 -c "print(f'gitleaks  1 run: wall {$gw:.1f} s, CPU {$gu + $gs:.1f} s, peak RSS {$gm // 1024} MB; leakguard is {$gw / $lw:.1f}x faster by wall clock, {($gu + $gs) / $lc:.1f}x by CPU (its medians)')"
  # The checksum-valid tokens among gitleaks' secrets: leakguard scans them
  # (stdin, one a line) and reports the valid ones by hash only.
  python3 -c "import json, sys; [print(f['Secret']) for f in json.load(open(sys.argv[1]))]" "$work/gitleaks.json" |
    "$work/leakguard" scan --format json - > "$work/gitleaks.valid" 2>/dev/null || true
fi

python3 - "$work" <<'PY'
import hashlib, json, os, sys
w = sys.argv[1]
planted = set(open(f"{w}/planted").read().split())
lg = [json.loads(l) for l in open(f"{w}/leakguard.out") if l.strip()]
got = {f["token_hash"] for f in lg}
print(f"leakguard: {len(lg)} findings, {len(got)} distinct tokens, {sum(len(f.get('commit', '')) == 40 for f in lg)} with a commit"
      + (f", {len(planted & got)}/{len(planted)} planted found, {len(got - planted)} other tokens" if planted else ""))
if os.path.exists(f"{w}/gitleaks.json"):
    gl = json.load(open(f"{w}/gitleaks.json"))
    valid = {json.loads(l)["token_hash"] for l in open(f"{w}/gitleaks.valid") if l.strip()}
    msg = f"gitleaks:  {len(gl)} findings, {len(valid)} distinct checksum-valid tokens among them"
    if planted:
        ggot = {hashlib.sha256(f["Secret"].encode()).hexdigest() for f in gl}
        msg += f", {len(planted & ggot)}/{len(planted)} planted found"
    print(msg)
    print(f"checksum-valid tokens: {len(valid & got)} found by both, {len(valid - got)} only by gitleaks, {len(got - valid)} only by leakguard"
          " (gitleaks has no rule for some formats)")
PY

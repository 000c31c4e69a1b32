#!/bin/sh
# prereceive.sh LEAKGUARD: times `git push` through leakguard's pre-receive
# hook: one commit onto a 100k-commit history, and a new branch of 10k
# commits. Needs git; works in a temporary directory.
set -eu
LG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; cd "$W"
export GIT_CONFIG_NOSYSTEM=1 HOME="$W"
commits() { # commits N FROM-MARK BRANCH: N commits, each changing one of 1000 files
	awk -v n="$1" -v b="$3" 'BEGIN{for(i=1;i<=n;i++){d=sprintf("f%d line %d\n",i,i);
	printf "commit refs/heads/%s\ncommitter b <b@x> %d +0000\ndata 2\nc\n", b, 1700000000+i;
	printf "M 644 inline d%d/f%d\ndata %d\n%s\n", i%100, i%1000, length(d), d}}'
}
git init -q --bare -b main srv.git
commits 100000 0 main | git -C srv.git fast-import --quiet
"$LG" hook install --pre-receive --repo srv.git >/dev/null
git clone -q srv.git w && cd w && git checkout -q main && git config user.email b@x && git config user.name b
echo one > one.txt && git add one.txt && git commit -qm one
t0=$(date +%s%N); out=$(git push origin main 2>&1); t1=$(date +%s%N)
echo "one commit onto 100k: $(( (t1-t0)/1000000 )) ms (git push, hook included); hook: $(echo "$out" | grep -o 'findings.*in [0-9.]*m\?s' | tail -1)"
commits 10000 0 topic | git fast-import --quiet && git checkout -q topic 2>/dev/null || true
t0=$(date +%s%N); out=$(git push origin topic 2>&1); t1=$(date +%s%N)
echo "new branch of 10k commits: $(( (t1-t0)/1000000 )) ms (git push, hook included); hook: $(echo "$out" | grep -o 'findings.*in [0-9.]*m\?s' | tail -1)"
# the same two pushes without the hook, for git's own share
cd .. && rm -f srv.git/hooks/pre-receive && git clone -q srv.git w2 && cd w2 && git config user.email b@x && git config user.name b
echo two > two.txt && git add two.txt && git commit -qm two
t0=$(date +%s%N); git push -q origin main 2>/dev/null; t1=$(date +%s%N)
echo "baseline, one commit onto 100k without the hook: $(( (t1-t0)/1000000 )) ms"
commits 10000 0 topic2 | sed 's/^committer b <b@x> 17/committer b <b@x> 16/' | git fast-import --quiet
t0=$(date +%s%N); git push -q origin topic2 2>/dev/null; t1=$(date +%s%N)
echo "baseline, new branch of 10k commits without the hook: $(( (t1-t0)/1000000 )) ms"

#!/bin/sh
# Rebuilds the git fixtures of this folder from a throw-away repository:
#   log.patch   `git log -p` of three commits (renames, a binary file, a quoted
#               path, CRLF lines, no newline at end of file, a deletion)
#   range.diff  `git diff` of the first commit against the last
# The tokens are the fake demo tokens of testdata/demo. Run from this folder.
set -eu
here=$(pwd)
demo=$here/../../../../testdata/demo
lgu=$(sed -n 's/^TOKEN = "\(.*\)"/\1/p' "$demo/src/client.py")
lgs=$(sed -n 's/^LEAKGUARD_TOKEN=//p' "$demo/config/app.env")
ghp=$(sed -n 's/^GITHUB_TOKEN=//p' "$demo/config/app.env")
gho=$(grep -o 'gho_[0-9A-Za-z]*' "$demo/notes/incident.log" | head -1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export GIT_AUTHOR_NAME="Ada Example" GIT_AUTHOR_EMAIL=ada@example.org
export GIT_COMMITTER_NAME="Ada Example" GIT_COMMITTER_EMAIL=ada@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp
git init -q -b main .
git config core.quotepath true
commit() { GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"; }

mkdir app
printf 'name=demo\ntoken=%s\n' "$lgu" > app/config.env
printf 'a\nb\nc\nd\ne\nf\n' > app/main.txt
printf 'old secret %s\n' "$gho" > app/old.txt
git add . && commit "2024-01-01T00:00:00Z" "add app"

git mv app/config.env app/settings.env
printf 'name=demo\ntoken=%s\nextra=%s\n' "$lgu" "$ghp" > app/settings.env
printf '\000\001binary %s\n' "$lgs" > app/blob.bin
printf 'first\r\nkey: %s\r\n' "$lgs" > app/crlf.txt
printf 'trailing %s' "$ghp" > "app/$(printf 'na\303\257ve') file.txt"
git add . && commit "2024-01-02T00:00:00Z" "rename config, add files"

git rm -q app/old.txt
printf 'a\nb\nc\nX-Token: %s\nd\ne\nf\n' "$lgs" > app/main.txt
git add . && GIT_AUTHOR_EMAIL=bob@example.org commit "2024-01-03T00:00:00Z" "edit main"

git log -p --no-color -M > "$here/log.patch"
git diff --no-color -M HEAD~2 HEAD > "$here/range.diff"

#!/usr/bin/env python3
"""Writes a git fast-import stream of a real-size history with planted tokens.

The tree starts as a copy of a real source tree (default: the Go
distribution's src/, ~11k files), then COMMITS commits each edit a few files;
every PLANT_EVERY commits (or, with --tokens N, N times spread evenly over the
commits) a valid token is added in a new file of its own and deleted a few
commits later (so only history holds it; --keep leaves the files in place),
look-alikes (one checksum character changed) are sprinkled in edits, and one
token sits on a side branch that is merged and whose ref is deleted. The
planted valid tokens' SHA-256 hashes go to PLANTED_HASHES_FILE.

usage: git-history-gen.py SRC_DIR PLANTED_HASHES_FILE [COMMITS] [PLANT_EVERY]
                          [--tokens N] [--keep] > stream
e.g.   git-history-gen.py "$(go env GOROOT)/src" planted 2000 --tokens 200 | git fast-import
       (2,000 commits, 200 tokens in 200 files, plus the side branch's)
"""
import argparse, hashlib, os, random, sys, zlib

ALPHA = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b62(n, width):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALPHA[r] + s
    return s.rjust(width, "0")


def token(rnd, prefix="ghp_"):
    body = "".join(rnd.choice(ALPHA) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def lookalike(tok):
    return tok[:-1] + ("A" if tok[-1] != "A" else "B")


def plant_at(commits, every, tokens):
    """The commits (1-based) that add a token."""
    if tokens is None:
        return set(range(every, commits + 1, every))
    if tokens > commits:
        sys.exit("--tokens cannot exceed COMMITS (one token file per commit at most)")
    return {commits * (k + 1) // tokens for k in range(tokens)}


def main():
    ap = argparse.ArgumentParser(description="git fast-import stream of a history with planted tokens")
    ap.add_argument("src")
    ap.add_argument("hashes")
    ap.add_argument("commits", nargs="?", type=int, default=3000)
    ap.add_argument("every", nargs="?", type=int, default=100, help="a token every EVERY commits")
    ap.add_argument("--tokens", type=int, help="plant this many tokens, spread evenly (overrides EVERY)")
    ap.add_argument("--keep", action="store_true", help="do not delete the token files afterwards")
    a = ap.parse_args()
    src, hashes_path, commits = a.src, a.hashes, a.commits
    planting = plant_at(commits, a.every, a.tokens)
    rnd = random.Random(42)
    out = sys.stdout.buffer
    mark = [0]
    planted = []

    def blob(data):
        mark[0] += 1
        out.write(b"blob\nmark :%d\ndata %d\n" % (mark[0], len(data)) + data + b"\n")
        return mark[0]

    files = {}
    for root, _, names in os.walk(src):
        for n in sorted(names):
            p = os.path.join(root, n)
            if os.path.islink(p) or os.path.getsize(p) > 1 << 20:
                continue
            with open(p, "rb") as f:
                files[os.path.relpath(p, src)] = f.read()
    paths = sorted(files)
    t = 1500000000

    def commit(ref, msg, changes, parents=(), email="dev@example.org"):
        nonlocal t
        t += 3600
        mark[0] += 1
        m = mark[0]
        out.write(b"commit %s\nmark :%d\nauthor Dev <%s> %d +0000\ncommitter Dev <%s> %d +0000\n"
                  % (ref.encode(), m, email.encode(), t, email.encode(), t))
        out.write(b"data %d\n%s\n" % (len(msg), msg.encode()))
        for i, p in enumerate(parents):
            out.write(b"%s :%d\n" % (b"from" if i == 0 else b"merge", p))
        out.write(changes)
        return m

    init = b"".join(b"M 100644 :%d %s\n" % (blob(files[p]), p.encode()) for p in paths)
    head = commit("refs/heads/main", "import", init)
    pending = {}
    for i in range(1, commits + 1):
        ch = b""
        for p in rnd.sample(paths, 3):
            lines = files[p].split(b"\n")
            pos = rnd.randrange(len(lines) + 1)
            extra = b"// edit %d" % i
            if rnd.random() < 0.05:
                extra += b" lookalike " + lookalike(token(rnd)).encode()
            lines.insert(pos, extra)
            files[p] = b"\n".join(lines)
            ch += b"M 100644 :%d %s\n" % (blob(files[p]), p.encode())
        if i in planting:
            tok = token(rnd)
            planted.append(tok)
            name = "config/secret_%d.env" % i
            ch += b"M 100644 :%d %s\n" % (blob(b"API_URL=https://api.example.org\nTOKEN=%s\n" % tok.encode()), name.encode())
            if not a.keep:
                pending.setdefault(i + 7, []).append(name)
        for name in pending.pop(i, []):
            ch += b"D %s\n" % name.encode()
        head = commit("refs/heads/main", "change %d" % i, ch, (head,), "dev%d@example.org" % (i % 17))
    tok = token(rnd)
    planted.append(tok)
    side = commit("refs/heads/side", "side work", b"M 100644 :%d side/token.txt\n" % blob(b"t=%s\n" % tok.encode()), (head,))
    side = commit("refs/heads/side", "side cleanup", b"D side/token.txt\n", (side,))
    commit("refs/heads/main", "merge side", b"", (head, side))
    out.write(b"reset refs/heads/side\nfrom 0000000000000000000000000000000000000000\n\n")
    with open(hashes_path, "w") as f:
        for tok in planted:
            f.write(hashlib.sha256(tok.encode()).hexdigest() + "\n")


main()

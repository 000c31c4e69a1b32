package gitsource

import (
	"bytes"
	"context"
	"sort"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
)

// maxAttributionBatch bounds the paths given to one `git log`.
const maxAttributionBatch = 256

// origin is the commit that introduced a blob at a path.
type origin struct {
	commit, author string
}

// attribute receives the blobs that hold tokens, finds their introducing
// commits in batches (one `git log` for whatever has queued up meanwhile)
// and emits their findings.
func attribute(ctx context.Context, g Git, revs Revisions, hits <-chan hit, emit func(scanner.Finding) error) error {
	for {
		h, ok := <-hits
		if !ok {
			return nil
		}
		batch := []hit{h}
	drain:
		for len(batch) < maxAttributionBatch {
			select {
			case h, ok := <-hits:
				if !ok {
					break drain
				}
				batch = append(batch, h)
			default:
				break drain
			}
		}
		origins, err := findOrigins(ctx, g, revs, batch)
		if err != nil {
			return err
		}
		if err := emitHits(batch, origins, emit); err != nil {
			return err
		}
	}
}

// emitHits emits one finding per token of each hit, in path then offset order.
func emitHits(batch []hit, origins map[blobAt]origin, emit func(scanner.Finding) error) error {
	sort.Slice(batch, func(i, j int) bool { return batch[i].path < batch[j].path })
	for _, h := range batch {
		o := origins[blobAt{h.oid, h.path}]
		for _, m := range h.matches {
			f := scanner.NewFinding(m, leakguard.SourceGit, h.path)
			f.Commit, f.Author = o.commit, o.author
			if err := emit(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// blobAt is a blob at a path.
type blobAt struct{ oid, path string }

// findOrigins runs one `git log` over the scanned revisions, limited to the
// batch's paths, oldest commit first, and returns for every (blob, path)
// the first commit whose diff adds or modifies that path to that blob.
// Merges are diffed against each parent and renames are not followed, so
// a blob introduced by a merge or a rename is attributed there. Signatures
// are never verified (verifying runs gpg.program or its like) and notes
// never read.
func findOrigins(ctx context.Context, g Git, revs Revisions, batch []hit) (map[blobAt]origin, error) {
	want := map[blobAt]bool{}
	paths := map[string]bool{}
	for _, h := range batch {
		want[blobAt{h.oid, h.path}] = true
		paths[h.path] = true
	}
	args := []string{"log", "--stdin", "--no-ext-diff", "--no-textconv", "--no-show-signature", "--no-notes", "--no-renames",
		"--full-history", "-m", "--topo-order", "--reverse", "--raw", "--no-abbrev", "-z",
		"--format=%x01%H%x00%ae", "--"}
	for p := range paths {
		args = append(args, p)
	}
	out, err := g.Output(ctx, bytesReader(revs.stdin()), args...)
	if err != nil {
		return nil, err
	}
	return parseOrigins(out, want), nil
}

// parseOrigins reads `git log -z --raw --format=%x01%H%x00%ae` output:
// records "\x01<commit>\x00<email>\x00" followed by raw entries
// "[\n]:<modes> <old> <new> <status>\x00<path>\x00".
func parseOrigins(out []byte, want map[blobAt]bool) map[blobAt]origin {
	found := map[blobAt]origin{}
	var cur origin
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := strings.TrimLeft(string(fields[i]), "\n")
		switch {
		case strings.HasPrefix(f, "\x01") && i+1 < len(fields):
			cur = origin{commit: f[1:], author: string(fields[i+1])}
			i++
		case strings.HasPrefix(f, ":") && i+1 < len(fields):
			path := string(fields[i+1])
			i++
			raw := strings.Fields(f)
			if len(raw) < 5 || strings.HasPrefix(raw[4], "D") {
				continue
			}
			k := blobAt{raw[3], path}
			if _, seen := found[k]; want[k] && !seen {
				found[k] = cur
			}
		}
	}
	return found
}

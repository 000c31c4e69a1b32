package gitsource

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
)

// pseudoRevs are the rev-list options a range may contain besides revisions.
var pseudoRevs = map[string]bool{
	"--not": true, "--all": true, "--branches": true, "--tags": true, "--remotes": true,
}

// ParseRange splits a --range value into revision arguments: whitespace
// separated revisions (`A..B`, `A...B`, `^A`, names, ids) and the options
// --not, --all, --branches, --tags, --remotes. Anything else starting with
// '-' is rejected, so a range cannot smuggle options into git. "" means
// every ref (--all) and HEAD.
func ParseRange(s string) ([]string, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return []string{"--all", "HEAD"}, nil
	}
	for _, f := range fields {
		if strings.HasPrefix(f, "-") && !pseudoRevs[f] {
			return nil, fmt.Errorf("range: %q is not a revision (allowed options: --not --all --branches --tags --remotes)", f)
		}
	}
	return fields, nil
}

// Revisions are resolved revision arguments: object ids to include and to
// exclude (rev-list's `A` and `^A`).
type Revisions struct {
	Include []string
	Exclude []string
}

// stdin renders the revisions for `git rev-list --stdin` / `git log --stdin`.
func (r Revisions) stdin() []byte {
	var b bytes.Buffer
	for _, id := range r.Include {
		b.WriteString(id + "\n")
	}
	for _, id := range r.Exclude {
		b.WriteString("^" + id + "\n")
	}
	return b.Bytes()
}

// Resolve turns revision arguments into object ids with `git rev-parse`,
// failing on any unknown revision. HEAD is dropped when the repository has
// no commit yet.
func Resolve(ctx context.Context, g Git, args []string) (Revisions, error) {
	out, err := resolveArgs(ctx, g, args)
	if err != nil && slices.Contains(args, "HEAD") {
		// One git process in the usual case; HEAD is looked at only when
		// the revisions did not resolve.
		if _, herr := g.Output(ctx, nil, "rev-parse", "--verify", "-q", "HEAD"); herr != nil {
			out, err = resolveArgs(ctx, g, without(args, "HEAD"))
		}
	}
	if err != nil {
		return Revisions{}, err
	}
	var r Revisions
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line == "--" || seen[line] {
			continue
		}
		seen[line] = true
		if id, ok := strings.CutPrefix(line, "^"); ok {
			r.Exclude = append(r.Exclude, id)
		} else {
			r.Include = append(r.Include, line)
		}
	}
	return r, nil
}

// resolveArgs is `git rev-parse ARGS --` (nothing for no arguments).
func resolveArgs(ctx context.Context, g Git, args []string) ([]byte, error) {
	if len(args) == 0 {
		return nil, nil
	}
	return g.Output(ctx, nil, append(append([]string{"rev-parse"}, args...), "--")...)
}

func without(list []string, drop string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

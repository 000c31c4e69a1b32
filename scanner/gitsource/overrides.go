package gitsource

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
)

// listOverrides runs `git config --list` in g.Dir (under listEnv: it reads
// the repository's configuration and the operator's, and runs nothing)
// and computes the overrides.
func (g Git) listOverrides(ctx context.Context) (*overrides, error) {
	args := []string{"config", "--list", "--includes", "--show-scope", "--show-origin", "-z"}
	cmd := exec.CommandContext(ctx, g.exe(), append([]string{"--no-pager"}, args...)...)
	cmd.Dir = g.Dir
	cmd.Env = listEnv(g.parentEnv())
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, gitError(args, err, stderr.Bytes())
	}
	entries, err := parseConfigList(out.Bytes())
	if err != nil {
		return nil, err
	}
	return buildOverrides(entries)
}

// overrideCache keeps one repository's overrides for the Git value that
// made it and its copies: one scan. The configuration is read once per
// scan, like every other input of it; a configuration changed while a
// repository is scanned is not a case the scan can close anyway.
type overrideCache struct {
	mu sync.Mutex
	o  *overrides
}

// Cached returns g with a cache of its repository's overrides, shared by
// the copies of the value: the git processes of one scan (two for a
// staged scan's common case, four for a history scan, five with findings)
// then start one `git config` between them. Without it, every command
// lists the configuration again.
func (g Git) Cached() Git {
	g.cache = &overrideCache{}
	return g
}

// overrides returns the repository's overrides, from the cache when g has
// one and it is filled. A failed listing is not cached.
func (g Git) overrides(ctx context.Context) (*overrides, error) {
	if g.cache == nil {
		return g.listOverrides(ctx)
	}
	g.cache.mu.Lock()
	defer g.cache.mu.Unlock()
	if g.cache.o != nil {
		return g.cache.o, nil
	}
	o, err := g.listOverrides(ctx)
	if err != nil {
		return nil, err
	}
	g.cache.o = o
	return o, nil
}

// partialClone reports whether the repository is a partial clone (see
// overrides.partial), from the configuration listing a scan reads anyway.
func (g Git) partialClone(ctx context.Context) (bool, error) {
	o, err := g.overrides(ctx)
	if err != nil {
		return false, err
	}
	return o.partial, nil
}

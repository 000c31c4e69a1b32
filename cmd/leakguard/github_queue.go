package main

import (
	"context"
	"errors"

	"github.com/leakguard/leakguard/webhook/githubapi"
)

// coordinate enqueues one job per repository for workers and collects
// their results.
func (r *orgRun) coordinate(ctx context.Context, repos []githubapi.Repo) error {
	return errors.New("--queue: not wired yet")
}

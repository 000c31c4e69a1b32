package orgscan

import (
	"context"
	"sync"
)

// scanLocal scans the repositories in this process, Options.Parallel at
// once.
func (s *Scan) scanLocal(ctx context.Context, repos []Repo) error {
	jobs := make(chan Repo)
	var wg sync.WaitGroup
	for range s.o.Parallel {
		wg.Go(func() {
			for repo := range jobs {
				s.scanOne(ctx, repo)
			}
		})
	}
feed:
	for _, repo := range repos {
		select {
		case jobs <- repo:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// scanOne scans one repository from its checkpoint and accepts its
// findings; the new checkpoint is saved once they are durable.
func (s *Scan) scanOne(ctx context.Context, repo Repo) {
	prev, err := s.o.Checkpoints.Load(ctx, repo.FullName)
	var res RepoResult
	if err == nil {
		res, err = s.o.Scanner.ScanRepo(ctx, repo, prev)
	}
	if err == nil {
		// The sink may save at the end of the run, after ctx ended: the
		// findings are out by then, so their checkpoint must follow.
		save := context.WithoutCancel(ctx)
		err = s.accept(ctx, res, func() error { return s.o.Checkpoints.Save(save, repo.FullName, res.Checkpoint) })
	}
	if err != nil {
		if ctx.Err() == nil {
			s.o.Log.Error().Str("repo", repo.FullName).Err(err).Msg("repository not scanned")
		}
		s.fail(repo.FullName, err)
	}
}

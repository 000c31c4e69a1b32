package main

import (
	"flag"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/issuers/issuersopen"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

// othersFlags are the flags of reporting other issuers' tokens to them
// (docs/issuers.md), shared by scan, github scan and github alerts.
type othersFlags struct {
	on  bool
	cfg issuersopen.Config
}

func (f *othersFlags) declare(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "revoke-others", false, "send other issuers' leaked tokens (GitHub, GitLab) to their issuers' revocation services, once per token")
	fs.StringVar(&f.cfg.GitHub, "github-api-url", "", "with --revoke-others: GitHub's REST API `URL` (default https://api.github.com/)")
	fs.StringVar(&f.cfg.GitLab, "gitlab-url", "", "with --revoke-others: the GitLab instance `URL` (default https://gitlab.com/)")
}

// check validates the endpoints (a usage error when wrong).
func (f *othersFlags) check() error {
	if err := f.cfg.Check(); f.on && err != nil {
		return usageError("--revoke-others: %v", err)
	}
	return nil
}

// config is what reports other issuers' tokens (nil: no --revoke-others).
func (f *othersFlags) config(log zerolog.Logger, now func() time.Time) *issuersopen.Config {
	if !f.on {
		return nil
	}
	c := f.cfg
	c.Options.Logger, c.Options.Now = log, now
	return &c
}

// wrap returns res (nil: none of ours resolved) reporting other issuers'
// tokens with --revoke-others, its queue in st; res itself without.
func (f *othersFlags) wrap(res revoker.Resolver, st store.Store, cat *patterns.Catalog, c *githubCommon) (revoker.Resolver, error) {
	if !f.on {
		return res, nil
	}
	r, err := f.config(c.log, c.now).Wrap(res, st, cat)
	if err != nil {
		return nil, usageError("--revoke-others: %v", err)
	}
	return r, nil
}

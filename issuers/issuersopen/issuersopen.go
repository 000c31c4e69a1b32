// Package issuersopen builds the reporter of other issuers' tokens
// (issuers.Reporter) with the senders of the built-in issuer table:
// GitHub's credentials-revoke API (package github) and GitLab's
// self-revocation route (package gitlab), at their default endpoints or
// the ones the operator names. It is wiring only.
package issuersopen

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/gitlab"
	"github.com/leakguard/leakguard/internal/endpoint"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

// Config is what reporting other issuers' tokens needs besides the queue:
// the endpoints, and how the reporter logs and sleeps.
type Config struct {
	Endpoints
	Insecure bool            // plain http to any host (tests only)
	Options  issuers.Options // Issuers and Senders are set by New
}

// Wrap returns the one leak step res (nil: none of ours is resolved)
// with other issuers' tokens reported from the queue q.
func (c Config) Wrap(res revoker.Resolver, q store.IssuerReports, cat *patterns.Catalog) (*issuers.Resolver, error) {
	rep, err := New(q, cat, c.Endpoints, c.Insecure, c.Options)
	if err != nil {
		return nil, err
	}
	return &issuers.Resolver{Next: res, Reporter: rep, Catalog: cat}, nil
}

// Endpoints are the issuers' base URLs; empty means the issuer table's
// default (patterns.Issuers).
type Endpoints struct {
	GitHub string // GitHub's REST API root (LEAKGUARD_GITHUB_API_URL)
	GitLab string // the GitLab instance (LEAKGUARD_GITLAB_URL)
}

// Check validates the endpoints: https, or plain http to a loopback host
// only (a token must not cross a network in clear).
func (e Endpoints) Check() error {
	var errs []error
	for name, u := range map[string]string{"GitHub API URL": e.GitHub, "GitLab URL": e.GitLab} {
		if u == "" {
			continue
		}
		if _, err := endpoint.Check(u, false); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// requestTimeout bounds one request to an issuer.
const requestTimeout = 30 * time.Second

// New returns the reporter over the queue q, identifying tokens with cat,
// with a sender for every issuer of the table. insecure allows plain http
// to any host (tests only).
func New(q store.IssuerReports, cat *patterns.Catalog, eps Endpoints, insecure bool, o issuers.Options) (*issuers.Reporter, error) {
	table := patterns.Issuers()
	hc := &http.Client{Timeout: requestTimeout}
	senders := map[string]issuers.Sender{}
	for _, is := range table {
		var (
			s   issuers.Sender
			err error
		)
		switch is.Protocol {
		case patterns.ProtocolGitHubCredentialsRevoke:
			s, err = github.NewCredentialsRevoker(or(eps.GitHub, is.Endpoint), hc, insecure)
		case patterns.ProtocolGitLabSelfRevoke:
			s, err = gitlab.NewSelfRevoker(or(eps.GitLab, is.Endpoint), hc, insecure)
		default:
			err = fmt.Errorf("unknown protocol %q", is.Protocol)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", is.Name, err)
		}
		senders[is.ID] = s
	}
	o.Issuers, o.Senders = table, senders
	return issuers.NewReporter(q, cat, o), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

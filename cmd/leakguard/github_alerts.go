package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
)

// githubAlertsOptions are the flags of `leakguard github alerts`.
type githubAlertsOptions struct {
	githubCommon
	org, state string
	resolve    bool
}

func parseGitHubAlerts(args []string, sio IO) (*githubAlertsOptions, error) {
	o := &githubAlertsOptions{}
	fs := newFlagSet("github alerts", sio.Stderr)
	o.declare(fs)
	fs.StringVar(&o.org, "org", "", "organisation whose secret-scanning alerts are pulled")
	fs.StringVar(&o.state, "state", "open", "alerts to pull: open, resolved or all")
	fs.BoolVar(&o.resolve, "resolve", false, "resolve alerts of our revoked tokens as \"revoked\" with the reason as comment")
	if err := parseGitHubFlags(fs, args, sio); err != nil {
		return nil, err
	}
	if o.org == "" {
		return nil, usageError("--org is required")
	}
	switch o.state {
	case "open", "resolved", "all":
	default:
		return nil, usageError("bad --state %q: want open, resolved or all", o.state)
	}
	return o, o.setup(sio)
}

// runGitHubAlerts is `leakguard github alerts`: every alert's secret is a
// patterns.Secret from the moment its page is decoded; our tokens are
// revoked through the revoker (source github-alert, the alert's URL) and,
// with --resolve, their alerts resolved. One finding per alert is reported.
func runGitHubAlerts(ctx context.Context, args []string, sio IO) error {
	o, err := parseGitHubAlerts(args, sio)
	if err != nil {
		return err
	}
	cl, cat, err := o.clientCatalog(ctx)
	if err != nil {
		return err
	}
	st, err := openStoreEnv(ctx, o.db, o.getenv, o.log, o.now)
	if err != nil {
		return err
	}
	defer st.Close()
	rv := revoker.New(st, cat, revoker.Options{Now: o.now, Logger: o.log})
	sink := newFindingSink(&o.githubCommon, cat)
	var failures []string
	stats, err := github.SyncAlerts(ctx, cl, rv, github.SyncOptions{Org: o.org, State: o.state, Resolve: o.resolve},
		func(out github.Outcome) error {
			if out.Err != nil {
				failures = append(failures, fmt.Sprintf("%s#%d: %v", out.Alert.Repository, out.Alert.Number, out.Err))
			}
			return sink.add([]scanner.Finding{alertFinding(cat, out)}, nil)
		})
	if ferr := sink.flush(); ferr != nil && err == nil {
		err = ferr
	}
	if !o.quiet {
		warnf(o.stderr, "github alerts: %d %s, %d of our tokens, %d revoked now, %d resolved, %d failed",
			stats.Alerts, plural(stats.Alerts, "alert"), stats.Ours, stats.Revoked, stats.Resolved, stats.Failed)
	}
	for _, f := range failures {
		warnf(o.stderr, "  failed %s", f)
	}
	switch {
	case err != nil:
		return &exitError{code: exitFail, err: err}
	case stats.Failed > 0:
		return &exitError{code: exitFail}
	}
	return nil
}

// alertFinding reports one alert as a finding (source github-alert); the
// secret is only hashed and redacted.
func alertFinding(cat *patterns.Catalog, out github.Outcome) scanner.Finding {
	a := out.Alert
	f := scanner.Finding{
		Rule: a.SecretType, Source: leakguard.SourceGitHubAlert, Repository: a.Repository, URL: a.URL,
		Status: leakguard.StateUnknown, Action: leakguard.ActionNone,
	}
	if !a.Secret.IsZero() {
		f.TokenHash = a.Secret.Hash()
		f.Redacted = a.Secret.Redact("")
		if fm, ok := cat.Identify(a.Secret.Reveal()); ok {
			f.Rule = fm.ID
			for _, p := range fm.Prefixes {
				if strings.HasPrefix(a.Secret.Reveal(), p) {
					f.Redacted = a.Secret.Redact(p)
				}
			}
		}
	}
	if out.Token.State != "" {
		f.Status = out.Token.State
	}
	if out.Token.Action != "" {
		f.Action = out.Token.Action
	}
	f.Path = fmt.Sprintf("security/secret-scanning/%d", a.Number)
	return f
}

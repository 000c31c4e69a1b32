package main

import (
	"context"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/store/storeopen"
)

// githubAlertsOptions are the flags of `leakguard github alerts`.
type githubAlertsOptions struct {
	githubCommon
	org, state string
	resolve    bool
	others     othersFlags
}

func parseGitHubAlerts(args []string, sio IO) (*githubAlertsOptions, error) {
	o := &githubAlertsOptions{}
	fs := newFlagSet("github alerts", sio.Stderr)
	o.declare(fs)
	fs.StringVar(&o.org, "org", "", "organisation whose secret-scanning alerts are pulled")
	fs.StringVar(&o.state, "state", "open", "alerts to pull: open, resolved or all")
	fs.BoolVar(&o.resolve, "resolve", false, "resolve alerts of our revoked tokens as \"revoked\" with the reason as comment")
	o.others.declare(fs)
	if err := parseGitHubFlags(fs, args, sio); err != nil {
		return nil, err
	}
	if err := o.others.check(); err != nil {
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

// alerts is `leakguard github alerts`: every alert's secret is a
// patterns.Secret from the moment its page is decoded; our tokens are
// revoked through the revoker (source github-alert, the alert's URL) and,
// with --resolve, their alerts resolved. One finding per alert is reported.
func (g gitHub) alerts(ctx context.Context, args []string, sio IO) error {
	o, err := parseGitHubAlerts(args, sio)
	if err != nil {
		return err
	}
	cl, cat, err := o.clientCatalog(ctx, g.sleep)
	if err != nil {
		return err
	}
	st, err := storeopen.Open(ctx, o.db, o.storeOptions())
	if err != nil {
		return err
	}
	defer st.Close()
	rv, err := o.others.wrap(revoker.New(st, cat, revoker.Options{Now: o.now, Logger: o.log}), st, cat, &o.githubCommon)
	if err != nil {
		return err
	}
	sink := o.sink(cat)
	stats, err := github.SyncAlerts(ctx, cl, rv, github.SyncOptions{Org: o.org, State: o.state, Resolve: o.resolve},
		func(out github.Outcome) error { return sink.Add([]scanner.Finding{out.Finding(cat)}, nil) })
	if ferr := sink.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	if !o.quiet {
		warnf(o.stderr, "%s", stats.Summary())
	}
	for _, f := range stats.Failures {
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

package main

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/issuers/reportcli"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
)

// runReports is `leakguard reports list` (docs/issuers.md#reports-list).
func runReports(ctx context.Context, args []string, sio IO) error {
	if len(args) == 0 || args[0] != "list" {
		return usageError("usage: leakguard reports list [--db DSN] [--issuer github|gitlab] [--state S] [--format text|json]")
	}
	var (
		db, format, state string
		f                 store.IssuerReportFilter
		err               error
	)
	fs := newFlagSet("reports list", sio.Stderr)
	fs.StringVar(&db, "db", "", "store `DSN`: empty = embedded SQLite in the data directory, sqlite:PATH, postgres://...")
	fs.StringVar(&f.Issuer, "issuer", "", "only reports to this `issuer`: github or gitlab")
	fs.StringVar(&state, "state", "", "only reports in this `state`: pending, accepted, already_invalid or rejected")
	fs.IntVar(&f.Limit, "limit", 0, "at most `N` reports (0: all)")
	fs.StringVar(&format, "format", "text", "output `format`: text or json (JSON Lines)")
	if err := parseFlags(fs, args[1:], envOf(sio)); err != nil {
		return err
	}
	if f.State, err = reportcli.ParseState(state); err != nil || (format != "text" && format != "json") || fs.NArg() > 0 {
		return usageError("reports list: bad --state %q, --format %q or arguments %q", state, format, fs.Args())
	}
	st, err := storeopen.Open(ctx, db, storeopen.Options{Getenv: envOf(sio), Log: zerolog.Nop(), Now: sio.Now})
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	defer st.Close()
	reps, err := st.ListIssuerReports(ctx, f)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return reportcli.Write(sio.Stdout, reps, format == "json")
}

package scanjob

import (
	"context"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
)

// settle fills the status of every finding and, with Options.Revoke, its
// action, when Options.Resolve is set, through the one leak step
// (revoker.Resolver): each distinct token of ours is looked up (or
// revoked, with the location of its first finding as the reason) once;
// findings of other issuers' formats are "unknown" (their store is not
// ours) with action "none" — or, with Options.ReportOthers, "reported"
// when this run reported them to their issuer, and the report's issuer
// and state. What could not be answered is reported and stays unknown.
func (j *Job) settle(ctx context.Context, res revoker.Resolver, findings []scanner.Finding) (c settled) {
	if (!j.o.Resolve && !j.o.ReportOthers) || len(findings) == 0 {
		return c
	}
	got := j.resolve(ctx, res, findings)
	for _, o := range got {
		switch {
		case o.Action == leakguard.ActionRevoked:
			c.revoked++
		case o.Action == leakguard.ActionReported:
			c.reported++
		case o.Report != nil && !o.Report.State.Final():
			c.pending++
		}
	}
	for i := range findings {
		f := &findings[i]
		o, ok := got[leakguard.Hash(f.TokenHash)]
		if j.o.Resolve {
			f.Status = leakguard.StateUnknown
			if ok {
				f.Status = o.State
			}
		}
		if j.o.Revoke || j.o.ReportOthers {
			f.Action = leakguard.ActionNone
			if ok {
				f.Action = o.Action
			}
		}
		if ok && o.Report != nil {
			f.Issuer, f.IssuerState = o.Report.Issuer, string(o.Report.State)
		}
	}
	return c
}

// settled counts what settle did.
type settled struct{ revoked, reported, pending int }

// resolve asks res about the findings' tokens (nothing when res is nil)
// and returns the outcomes by hash.
func (j *Job) resolve(ctx context.Context, res revoker.Resolver, findings []scanner.Finding) map[leakguard.Hash]revoker.Outcome {
	got := map[leakguard.Hash]revoker.Outcome{}
	if res == nil {
		return got
	}
	outs, err := res.Resolve(ctx, j.o.pushReports(Reports(findings, j.o.Actor)), j.o.Revoke && !j.o.bypassed())
	switch {
	case err != nil && j.o.Revoke:
		j.Errorf("token store: revoke: %v", err)
	case err != nil && j.o.ReportOthers:
		j.Errorf("report to issuers: %v", err)
	case err != nil:
		j.Errorf("token store: status look-up: %v", err)
	}
	for _, o := range outs {
		got[o.Hash] = o
	}
	if j.o.bypassed() {
		j.recordBypass(ctx, res, outs)
	}
	return got
}

// Reports are the leak reports of findings, one each, in order, made by
// actor: the token, its hash and rule, and where it was found (the reason
// of a revocation is built from source, path, line and commit).
func Reports(findings []scanner.Finding, actor string) []revoker.Report {
	reps := make([]revoker.Report, len(findings))
	for i, f := range findings {
		reps[i] = revoker.Report{Secret: f.Secret, Hash: f.TokenHash, Rule: f.Rule, Source: f.Source,
			URL: f.URL, Path: f.Path, Line: f.Line, Commit: f.Commit, Actor: actor}
	}
	return reps
}

package issuers

import (
	"context"
	"errors"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
)

// Resolver is the one leak step (revoker.Resolver) with other issuers'
// tokens reported to their issuers: Next resolves (and, when asked,
// revokes) the tokens of ours; then every distinct token that is not ours
// and whose issuer the Reporter can reach is reported, whatever the revoke
// argument says (reporting is asked for by using this Resolver). An
// outcome of a token this call reported carries ActionReported and the
// stored report; one reported earlier carries the report and ActionNone.
type Resolver struct {
	// Next is the resolver of our tokens; nil resolves nothing (every
	// outcome unknown), for runs that report other issuers' tokens only.
	Next     revoker.Resolver
	Reporter *Reporter
	Catalog  *patterns.Catalog // decides "ours" when Next is nil
}

// Resolve implements revoker.Resolver.
func (r *Resolver) Resolve(ctx context.Context, reps []revoker.Report, revoke bool) ([]revoker.Outcome, error) {
	var (
		outs []revoker.Outcome
		err  error
	)
	if r.Next != nil {
		outs, err = r.Next.Resolve(ctx, reps, revoke)
	} else {
		outs, _ = revoker.Plan(r.Catalog, reps)
		err = revoker.JoinErrors(outs)
	}
	var (
		items []Item
		at    []int // outs index of each item
	)
	for i, o := range outs {
		if o.Ours || o.Hash == "" || o.First >= len(reps) {
			continue
		}
		rep := reps[o.First]
		if rep.Secret.IsZero() {
			continue // a hash-only report: there is nothing to send
		}
		if _, _, ok := r.Reporter.IssuerOf(rep.Secret); !ok {
			continue
		}
		items = append(items, Item{Secret: rep.Secret, Source: rep.Source, Location: revoker.Location(rep)})
		at = append(at, i)
	}
	if len(items) == 0 {
		return outs, err
	}
	results, rerr := r.Reporter.Report(ctx, items)
	for _, res := range results {
		o := &outs[at[res.Index]]
		if res.Issuer == "" || res.Report.Hash == "" {
			continue
		}
		rep := res.Report
		o.Report = &rep
		if res.Sent {
			o.Action = leakguard.ActionReported
		}
	}
	return outs, errors.Join(err, rerr)
}

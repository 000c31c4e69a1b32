package revoker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Resolver is the one step from "these tokens were seen" to "this is their
// state, and this is what was done": every leak source — scan, github scan,
// github alerts, the scan routes of the API and GitHub's partner endpoint —
// goes through it (docs/architecture.md). Two implementations: *Revoker
// (a store in this process) and the HTTP API's client (webhook.Client,
// a leakguard server elsewhere).
type Resolver interface {
	// Resolve dedupes reps by token hash and answers one Outcome per
	// distinct hash, in order of first appearance. With revoke, every
	// active token of ours is revoked with the reason of its first report
	// (one leak_reported event, one token.revoked notification), and
	// Resolve returns only once the revocations are visible to every
	// reader of the store. Without it, nothing is written.
	//
	// The error is nil only when every outcome was answered (and every
	// revocation is durable); otherwise it joins the failures, and the
	// outcomes that failed — or were not attempted after MaxErrors
	// failures — carry Err and StateUnknown.
	Resolve(ctx context.Context, reps []Report, revoke bool) ([]Outcome, error)
}

// Outcome is what the resolver found and did for one distinct token.
type Outcome struct {
	Hash leakguard.Hash
	// First is the index in the reports of the first report of this hash.
	First int
	// Ours is true when the token is one this installation issued: of an
	// issued format and known to the store.
	Ours   bool
	State  leakguard.State  // after the call; unknown when not known here
	Action leakguard.Action // revoked when this call revoked it
	// Token is the store's record after the call (local resolver, ours only).
	Token *store.Token
	// Report is the report of another issuer's token to that issuer, as
	// stored after the call (package issuers; nil when none was asked).
	Report *store.IssuerReport
	// Err is set when this hash could not be resolved.
	Err error
}

// MaxErrors is how many failed look-ups or revocations one Resolve call
// makes before it stops asking: a store that is down fails them all, and
// each failure may wait out a timeout. The hashes it did not ask about
// carry ErrNotAttempted.
const MaxErrors = 3

// ErrNotAttempted marks the outcomes Resolve did not try after MaxErrors
// failures.
var ErrNotAttempted = errors.New("not attempted after earlier failures")

// Resolve implements Resolver over the Revoker's store. "Ours" is decided
// once, here (see Revoker.ours): by prefix and checksum when the report
// carries the token, by the rule's format when it carries only a hash and
// a rule, and by the store otherwise. Look-ups use the store's
// store.BatchGetter when it has one; revocations run Options.Workers at a
// time and settle once.
func (r *Revoker) Resolve(ctx context.Context, reps []Report, revoke bool) ([]Outcome, error) {
	outs, todo := Plan(r.cat, reps)
	if revoke {
		r.revokeEach(ctx, reps, outs, todo)
		if err := r.settle(ctx); err != nil {
			return outs, err
		}
	} else {
		r.lookUp(ctx, outs, todo)
	}
	return outs, JoinErrors(outs)
}

// Plan is the first step of every Resolver: one outcome per distinct hash,
// in order of first appearance (state unknown, action none), and the
// indexes of the outcomes to ask the store about — those that may be ours
// (see MayBeOurs). A report without a token or a well-formed hash gets an
// outcome with Err and no hash.
func Plan(cat *patterns.Catalog, reps []Report) (outs []Outcome, ask []int) {
	seen := make(map[string]bool, len(reps))
	outs = make([]Outcome, 0, len(reps))
	for i, rep := range reps {
		h, err := hashOf(rep)
		if err != nil {
			outs = append(outs, Outcome{First: i, State: leakguard.StateUnknown, Action: leakguard.ActionNone, Err: err})
			continue
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		if MayBeOurs(cat, rep) {
			ask = append(ask, len(outs))
		}
		outs = append(outs, Outcome{Hash: leakguard.Hash(h), First: i, State: leakguard.StateUnknown, Action: leakguard.ActionNone})
	}
	return outs, ask
}

// MayBeOurs is the one test of "ours" before the store is asked: a token
// of one of cat's issued formats by prefix and checksum (a payload's type
// field is never trusted), or, for a hash-only report, a rule naming an
// issued format — or no rule at all, when only the store can tell.
func MayBeOurs(cat *patterns.Catalog, rep Report) bool {
	if !rep.Secret.IsZero() {
		f, ok := cat.Identify(rep.Secret.Reveal())
		return ok && f.Issued
	}
	if rep.Rule == "" {
		return true
	}
	f, ok := cat.ByID(rep.Rule)
	return ok && f.Issued
}

// lookUp fills the outcomes at todo from the store, in batches when the
// store can, stopping after MaxErrors failures.
func (r *Revoker) lookUp(ctx context.Context, outs []Outcome, todo []int) {
	const batch = 500
	now := r.now().UTC()
	failed := 0
	for start := 0; start < len(todo); start += batch {
		idx := todo[start:min(start+batch, len(todo))]
		if failed >= MaxErrors {
			MarkNotAttempted(outs, idx)
			continue
		}
		toks, errs := r.tokens(ctx, outs, idx)
		for j, i := range idx {
			switch {
			case errors.Is(errs[j], store.ErrNotFound):
			case errs[j] != nil:
				failed++
				outs[i].Err = fmt.Errorf("revoker: look up %s: %w", outs[i].Hash.Short(), errs[j])
			default:
				outs[i].Ours, outs[i].Token = true, toks[j]
				outs[i].State = leakguard.State(toks[j].State(now))
			}
		}
	}
}

// tokens looks up the hashes of outs at idx.
func (r *Revoker) tokens(ctx context.Context, outs []Outcome, idx []int) ([]*store.Token, []error) {
	hashes := make([]string, len(idx))
	for j, i := range idx {
		hashes[j] = string(outs[i].Hash)
	}
	if bg, ok := r.st.(store.BatchGetter); ok {
		return bg.TokensByHash(ctx, hashes)
	}
	toks, errs := make([]*store.Token, len(hashes)), make([]error, len(hashes))
	for j, h := range hashes {
		toks[j], errs[j] = r.st.TokenByHash(ctx, h)
	}
	return toks, errs
}

// revokeEach revokes the outcomes at todo, Options.Workers at a time, with
// each one's first report; after MaxErrors failures the rest are not
// attempted. The caller settles.
func (r *Revoker) revokeEach(ctx context.Context, reps []Report, outs []Outcome, todo []int) {
	var (
		mu     sync.Mutex
		failed int
		wg     sync.WaitGroup
	)
	sem := make(chan struct{}, r.workers)
	for _, i := range todo {
		sem <- struct{}{}
		mu.Lock()
		stop := failed >= MaxErrors
		mu.Unlock()
		if stop {
			<-sem
			MarkNotAttempted(outs, []int{i})
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := r.revokeDeferred(ctx, reps[outs[i].First])
			outs[i] = outcomeOf(outs[i], res, err, r.now().UTC())
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// outcomeOf fills o from one revocation's result.
func outcomeOf(o Outcome, res Result, err error, now time.Time) Outcome {
	if err != nil {
		o.Err = err
		return o
	}
	o.Ours, o.Token = res.Ours, res.Token
	if res.Token != nil {
		o.State = leakguard.State(res.Token.State(now))
	}
	if res.Revoked {
		o.Action = leakguard.ActionRevoked
	}
	return o
}

// MarkNotAttempted sets ErrNotAttempted on the outcomes at idx.
func MarkNotAttempted(outs []Outcome, idx []int) {
	for _, i := range idx {
		outs[i].Err = fmt.Errorf("revoker: %s: %w", outs[i].Hash.Short(), ErrNotAttempted)
	}
}

// JoinErrors joins the outcomes' errors: the first MaxErrors, then a count
// of the rest (a batch of thousands must not make a message of thousands).
func JoinErrors(outs []Outcome) error {
	var errs []error
	rest := 0
	for _, o := range outs {
		switch {
		case o.Err == nil:
		case len(errs) < MaxErrors:
			errs = append(errs, o.Err)
		default:
			rest++
		}
	}
	if rest > 0 {
		errs = append(errs, fmt.Errorf("revoker: and %d more not resolved", rest))
	}
	return errors.Join(errs...)
}

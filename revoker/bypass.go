package revoker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Bypass is a push that a pre-receive hook let through although it adds a
// token of ours, because the pusher gave a reason (`git push -o
// leakguard.allow="<reason>"`). It names the token by hash only.
type Bypass struct {
	Hash       string           // SHA-256 hex of the token found in the push
	Source     leakguard.Source // where it was seen: git ("" = git)
	Repository string           // the repository pushed to
	Ref        string           // the pushed ref
	Pusher     string           // who pushed ("" = unknown); named in the detail, not checked
	Reason     string           // the pusher's reason
	// Actor is who records it: "pre-receive:<pusher>" for a hook over a
	// store; the server sets its authenticated caller instead.
	Actor string
}

// BypassOutcome is what recording one bypass found and did.
type BypassOutcome struct {
	Hash leakguard.Hash
	// State is the token's state (unknown when it is not a token of ours);
	// a bypass never changes it.
	State leakguard.State
	// Recorded is true when a leak_reported event was added to the token's
	// audit trail: for every token of ours, in any state.
	Recorded bool
}

// BypassRecorder records pre-receive bypasses by token hash. Two
// implementations, as for Resolver: *Revoker (a store in this process)
// and the HTTP API's client (webhook.Client, POST /v1/tokens/bypasses);
// the suite in revoker/resolvertest (RunBypass) holds both to the same
// answers and the same event.
type BypassRecorder interface {
	// RecordBypass adds one leak_reported event, whose detail
	// BypassDetail builds, to the audit trail of the token b names, if it
	// is a token of ours, whatever its state. It never revokes and never
	// notifies. A hash the store does not know writes nothing and answers
	// Recorded false with StateUnknown. Errors are failures to look up or
	// to write (ErrNoToken for a malformed hash); nothing is then recorded.
	RecordBypass(ctx context.Context, b Bypass) (BypassOutcome, error)
}

// BypassDetail is the detail of a bypass's leak_reported event:
// "push bypassed by <pusher>: <reason> (push <repository> <ref>)". Each
// field comes from the pusher's side (untrusted) and is cleaned as a leak
// report's location is (Location): control, line-separator and bidi
// characters and invalid UTF-8 dropped, every token of cat's formats in it
// redacted, cut to 512 bytes (after the redaction, so a cut never leaves
// part of a token behind). An empty pusher is "unknown".
func BypassDetail(cat *patterns.Catalog, b Bypass) string {
	field := func(s string) string { return clean(cat.RedactTokens(store.CleanLabel(s)), patterns.Secret{}) }
	pusher := field(b.Pusher)
	if pusher == "" {
		pusher = "unknown"
	}
	return cat.RedactTokens(fmt.Sprintf("push bypassed by %s: %s (push %s %s)",
		pusher, field(b.Reason), field(b.Repository), field(b.Ref)))
}

// RecordBypass implements BypassRecorder over the Revoker's store: one
// look-up by hash and, for a token it knows, one AppendEvent with actor
// b.Actor (DefaultActor when empty) and source b.Source (git when empty).
func (r *Revoker) RecordBypass(ctx context.Context, b Bypass) (BypassOutcome, error) {
	h, err := hashOf(Report{Hash: b.Hash})
	if err != nil {
		return BypassOutcome{State: leakguard.StateUnknown}, err
	}
	out := BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateUnknown}
	t, err := r.st.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("revoker: look up %s: %w", leakguard.ShortHash(h), err)
	}
	now := r.now().UTC().Truncate(time.Microsecond) // what stores keep
	ev := store.Event{TokenID: t.ID, Kind: store.EventLeakReported, At: now,
		Actor: bypassActor(r.cat, b.Actor), Source: string(bypassSource(b.Source)), Detail: BypassDetail(r.cat, b)}
	if err := r.st.AppendEvent(ctx, ev); err != nil {
		return out, fmt.Errorf("revoker: append the bypass event to %s: %w", t.ID, err)
	}
	out.State, out.Recorded = t.State(now), true
	r.log.Info().Str("token_id", t.ID).Str("actor", ev.Actor).Str("detail", ev.Detail).Msg("push bypass recorded")
	return out, nil
}

// bypassActor is the actor of a bypass's event: the given one made fit
// for a label, tokens of cat's formats redacted (it holds the pusher's
// name, which comes from the pusher's side), or DefaultActor.
func bypassActor(cat *patterns.Catalog, a string) string {
	a = strings.TrimSpace(cat.RedactTokens(store.CleanLabel(a)))
	if len(a) > store.MaxLabelLen {
		a = strings.ToValidUTF8(a[:store.MaxLabelLen], "")
	}
	if a == "" {
		return DefaultActor
	}
	return a
}

// bypassSource is a bypass's source: git unless it names another.
func bypassSource(s leakguard.Source) leakguard.Source {
	if s == "" {
		return leakguard.SourceGit
	}
	return s
}

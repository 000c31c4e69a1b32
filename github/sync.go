package github

import (
	"context"
	"errors"
	"fmt"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/revoker"
)

// ActorSecretScanning is recorded as the revoking actor of alerts and
// partner batches.
const ActorSecretScanning = "github-secret-scanning"

// SyncOptions selects what SyncAlerts does.
type SyncOptions struct {
	Org     string
	State   string // alerts to list: "open" (default), "resolved" or "all"
	Resolve bool   // resolve alerts of our tokens that are dead now
}

// Outcome is what SyncAlerts did with one alert.
type Outcome struct {
	Alert Alert
	// Token is the leak step's answer for the alert's secret (zero when
	// the alert carries none).
	Token    revoker.Outcome
	Resolved bool  // this call resolved it
	Err      error // revocation or resolve failure (the sync goes on)
}

// SyncStats counts a sync.
type SyncStats struct {
	Alerts, Ours, Revoked, Resolved, Failed int
	// Reported counts the other issuers' tokens reported to their
	// issuers now (package issuers).
	Reported int
	// Failures says which alert failed and why: "owner/name#12: reason".
	Failures []string
}

// syncBatch is how many alerts go through the leak step at once: one
// commit wait per batch, not per token.
const syncBatch = 100

// SyncAlerts lists the organisation's alerts and sends their secrets
// through the leak step rv in batches (revoking ours: source github-alert,
// the alert's URL as location) and, with Resolve, resolves open alerts of
// our tokens that are now revoked or expired as "revoked" with a comment
// carrying the reason. each sees every outcome. Per-alert failures are
// reported in Outcome.Err and counted; listing failures end the sync.
func SyncAlerts(ctx context.Context, c *Client, rv revoker.Resolver, o SyncOptions, each func(Outcome) error) (SyncStats, error) {
	var (
		st    SyncStats
		batch []Alert
	)
	flush := func() error {
		outs := syncAlerts(ctx, c, rv, o, batch)
		batch = batch[:0]
		for _, out := range outs {
			st.count(out)
			if each != nil {
				if err := each(out); err != nil {
					return err
				}
			}
		}
		return nil
	}
	state := o.State
	switch state {
	case "":
		state = AlertOpen
	case "all":
		state = ""
	}
	err := c.Alerts(ctx, o.Org, state, func(a Alert) error {
		if batch = append(batch, a); len(batch) < syncBatch {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	return st, err
}

func (st *SyncStats) count(out Outcome) {
	st.Alerts++
	if out.Token.Ours {
		st.Ours++
	}
	if out.Token.Action == leakguard.ActionRevoked {
		st.Revoked++
	}
	if out.Resolved {
		st.Resolved++
	}
	if out.Token.Action == leakguard.ActionReported {
		st.Reported++
	}
	if out.Err != nil {
		st.Failed++
		st.Failures = append(st.Failures, fmt.Sprintf("%s#%d: %v", out.Alert.Repository, out.Alert.Number, out.Err))
	}
}

// syncAlerts sends a batch of alerts through the leak step and resolves
// the alerts of our dead tokens.
func syncAlerts(ctx context.Context, c *Client, rv revoker.Resolver, o SyncOptions, alerts []Alert) []Outcome {
	outs := make([]Outcome, len(alerts))
	var reps []revoker.Report
	for i, a := range alerts {
		outs[i].Alert = a
		if !a.Secret.IsZero() {
			reps = append(reps, report(a))
		}
	}
	if len(reps) == 0 {
		return outs
	}
	resolved, _ := rv.Resolve(ctx, reps, true) // failures are in each outcome's Err
	byHash := make(map[leakguard.Hash]revoker.Outcome, len(resolved))
	for _, r := range resolved {
		byHash[r.Hash] = r
	}
	for i := range outs {
		a := outs[i].Alert
		if a.Secret.IsZero() {
			continue
		}
		tok := byHash[leakguard.Hash(a.Secret.Hash())]
		outs[i].Token, outs[i].Err = tok, tok.Err
		if tok.Err != nil || !o.Resolve || !tok.Ours || tok.State == leakguard.StateActive || a.State != AlertOpen {
			continue
		}
		if err := c.Resolve(ctx, a, ResolutionComment(report(a), tok)); err != nil {
			outs[i].Err = err
			continue
		}
		outs[i].Resolved = true
	}
	return outs
}

// report is an alert's leak report.
func report(a Alert) revoker.Report {
	return revoker.Report{Secret: a.Secret, Source: leakguard.SourceGitHubAlert, URL: a.URL, Actor: ActorSecretScanning}
}

// ResolutionComment says why leakguard resolves an alert.
func ResolutionComment(rep revoker.Report, o revoker.Outcome) string {
	reason := revoker.Reason(rep)
	if o.Token == nil {
		return "leakguard: token revoked (" + reason + ")"
	}
	if o.Action == leakguard.ActionRevoked {
		return fmt.Sprintf("leakguard: token %s revoked (%s)", o.Token.ID, reason)
	}
	return fmt.Sprintf("leakguard: token %s was already invalid (%s)", o.Token.ID, o.Token.InvalidReason)
}

// ErrAlertsFailed is returned by callers when some alerts could not be
// handled.
var ErrAlertsFailed = errors.New("github: some alerts could not be handled")

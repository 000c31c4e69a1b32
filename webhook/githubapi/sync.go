package githubapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
)

// SourceAlert is the revocation source of tokens found in alerts.
const SourceAlert = "github-alert"

// ActorSecretScanning is recorded as the revoking actor.
const ActorSecretScanning = "github-secret-scanning"

// Revoker is the part of revoker.Revoker alert sync uses.
type Revoker interface {
	Revoke(ctx context.Context, rep revoker.Report) (revoker.Result, error)
	Ours(s patterns.Secret) bool
}

// SyncOptions selects what SyncAlerts does.
type SyncOptions struct {
	Org     string
	State   string // alerts to list: "open" (default), "resolved" or "all"
	Resolve bool   // resolve alerts of our tokens that are dead now
}

// Outcome is what SyncAlerts did with one alert.
type Outcome struct {
	Alert    Alert
	Ours     bool
	Result   revoker.Result
	Resolved bool  // this call resolved it
	Err      error // revocation or resolve failure (the sync goes on)
}

// SyncStats counts a sync.
type SyncStats struct {
	Alerts, Ours, Revoked, Resolved, Failed int
}

// SyncAlerts lists the organisation's alerts, revokes ours through rv
// (source github-alert, the alert's URL as location) and, with Resolve,
// resolves open alerts of our tokens that are now revoked or expired as
// "revoked" with a comment carrying the reason. each sees every outcome.
// Per-alert failures are reported in Outcome.Err and counted; listing
// failures end the sync.
func SyncAlerts(ctx context.Context, c *Client, rv Revoker, o SyncOptions, each func(Outcome) error) (SyncStats, error) {
	var st SyncStats
	state := o.State
	switch state {
	case "":
		state = AlertOpen
	case "all":
		state = ""
	}
	err := c.Alerts(ctx, o.Org, state, func(a Alert) error {
		out := syncOne(ctx, c, rv, o, a)
		st.count(out)
		if each != nil {
			return each(out)
		}
		return nil
	})
	return st, err
}

func (st *SyncStats) count(out Outcome) {
	st.Alerts++
	if out.Ours {
		st.Ours++
	}
	if out.Result.Revoked {
		st.Revoked++
	}
	if out.Resolved {
		st.Resolved++
	}
	if out.Err != nil {
		st.Failed++
	}
}

// syncOne revokes and resolves one alert.
func syncOne(ctx context.Context, c *Client, rv Revoker, o SyncOptions, a Alert) Outcome {
	out := Outcome{Alert: a}
	if a.Secret.IsZero() || !rv.Ours(a.Secret) {
		return out
	}
	rep := revoker.Report{Secret: a.Secret, Source: SourceAlert, URL: a.URL, Actor: ActorSecretScanning}
	res, err := rv.Revoke(ctx, rep)
	out.Result, out.Ours = res, res.Ours
	if err != nil {
		out.Err = err
		return out
	}
	if !o.Resolve || !res.Ours || !(res.Revoked || res.Already) || a.State != AlertOpen {
		return out
	}
	if err := c.Resolve(ctx, a, ResolutionComment(rep, res)); err != nil {
		out.Err = err
		return out
	}
	out.Resolved = true
	return out
}

// ResolutionComment says why leakguard resolves an alert.
func ResolutionComment(rep revoker.Report, res revoker.Result) string {
	reason := revoker.Reason(rep)
	if res.Token == nil {
		return "leakguard: token revoked (" + reason + ")"
	}
	if res.Revoked {
		return fmt.Sprintf("leakguard: token %s revoked (%s)", res.Token.ID, reason)
	}
	return fmt.Sprintf("leakguard: token %s was already invalid (%s)", res.Token.ID, res.Token.InvalidReason)
}

// ErrAlertsFailed is returned by callers when some alerts could not be
// handled.
var ErrAlertsFailed = errors.New("github: some alerts could not be handled")

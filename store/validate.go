package store

import (
	"fmt"

	"github.com/leakguard/leakguard"
)

// Validate checks that t can be stored: ID, a well-formed Hash, Type and
// Owner are required, every text field passes CheckLabel (the invalid
// reason and who revoked it: CheckText), and Scopes follow
// leakguard.ParseScopes (in any order). The error wraps ErrInvalid and
// never quotes a field's content (the hash may be a plaintext token passed
// by mistake, the others anything at all).
func (t *Token) Validate() error {
	switch {
	case t == nil:
		return fmt.Errorf("%w: nil token", ErrInvalid)
	case t.ID == "":
		return fmt.Errorf("%w: token id is required", ErrInvalid)
	case !leakguard.ValidHash(t.Hash):
		return fmt.Errorf("%w: token hash must be 64 lower-case hex characters (SHA-256)", ErrInvalid)
	case t.Type == "":
		return fmt.Errorf("%w: token type is required", ErrInvalid)
	case t.Owner == "":
		return fmt.Errorf("%w: token owner is required", ErrInvalid)
	}
	return firstError(
		CheckLabel("id", t.ID, 0), CheckLabel("type", t.Type, 0), CheckLabel("format id", t.FormatID, 0),
		CheckLabel("owner", t.Owner, 0), CheckLabel("name", t.Name, 0), CheckLabel("last4", t.Last4, 0),
		CheckText("invalid reason", t.InvalidReason, 0), CheckText("revoked by", t.RevokedBy, 0),
		checkScopes(t.Scopes))
}

// checkScopes wraps leakguard.ParseScopes' error in ErrInvalid.
func checkScopes(scopes []string) error {
	if _, err := leakguard.ParseScopes(scopes); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Validate checks that the request names a token (ID or Hash, the hash
// well-formed) and gives a reason, and that its text can be stored (ID:
// CheckLabel; Reason, Actor, Source: CheckText). The error wraps
// ErrInvalid.
func (r *RevokeRequest) Validate() error {
	switch {
	case r.ID == "" && r.Hash == "":
		return fmt.Errorf("%w: revoke needs a token id or hash", ErrInvalid)
	case r.Hash != "" && !leakguard.ValidHash(r.Hash):
		return fmt.Errorf("%w: token hash must be 64 lower-case hex characters (SHA-256)", ErrInvalid)
	case r.Reason == "":
		return fmt.Errorf("%w: revoke needs a reason", ErrInvalid)
	}
	return firstError(CheckLabel("id", r.ID, 0), CheckText("reason", r.Reason, 0),
		CheckText("actor", r.Actor, 0), CheckText("source", r.Source, 0))
}

// Validate checks that the event can be appended: a token id and a kind,
// and text that can be stored (ids: CheckLabel; actor, source and detail:
// CheckText).
func (e *Event) Validate() error {
	switch {
	case e.TokenID == "":
		return fmt.Errorf("%w: event token id is required", ErrInvalid)
	case e.Kind == "":
		return fmt.Errorf("%w: event kind is required", ErrInvalid)
	}
	return firstError(CheckLabel("token id", e.TokenID, 0), CheckLabel("kind", string(e.Kind), 0),
		CheckText("actor", e.Actor, 0), CheckText("source", e.Source, 0), CheckText("detail", e.Detail, 0))
}

// Validate checks that the notice request names a token and a stage, and
// that its text and event's can be stored.
func (r *NoticeRequest) Validate() error {
	switch {
	case r.TokenID == "":
		return fmt.Errorf("%w: notice token id is required", ErrInvalid)
	case r.Stage == "":
		return fmt.Errorf("%w: notice stage is required", ErrInvalid)
	}
	return firstError(CheckLabel("token id", r.TokenID, 0), CheckLabel("stage", r.Stage, 0),
		CheckText("actor", r.Event.Actor, 0), CheckText("source", r.Event.Source, 0),
		CheckText("detail", r.Event.Detail, 0))
}

// Validate checks that the notification can be enqueued: id, type and a
// payload.
func (n *Notification) Validate() error {
	switch {
	case n.ID == "":
		return fmt.Errorf("%w: notification id is required", ErrInvalid)
	case n.Type == "":
		return fmt.Errorf("%w: notification type is required", ErrInvalid)
	case len(n.Payload) == 0:
		return fmt.Errorf("%w: notification payload is required", ErrInvalid)
	}
	return nil
}

// Validate checks the filter: a known State (or none), a non-negative
// Limit, an Owner and cursor (After) that pass CheckLabel, and a Scope
// that is empty or follows leakguard.CheckScope.
func (f *ListFilter) Validate() error {
	if err := firstError(CheckLabel("owner", f.Owner, 0), CheckLabel("cursor", f.After, 0),
		CheckLabel("state", string(f.State), 0)); err != nil {
		return err
	}
	if f.Scope != "" {
		if err := leakguard.CheckScope(f.Scope); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	switch f.State {
	case "", leakguard.StateActive, leakguard.StateRevoked, leakguard.StateExpired:
	default:
		return fmt.Errorf("%w: unknown state %q", ErrInvalid, f.State)
	}
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	return nil
}

// firstError returns the first non-nil error of errs.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks that r can be queued by ClaimIssuerReport: a well-formed
// Hash, an Issuer and a FormatID (CheckLabel), and a Source and Location
// that can be stored (CheckText; a caller quoting a path or URL from
// elsewhere cleans it first, e.g. with CleanLabel). The error wraps
// ErrInvalid and never quotes the hash, which may be a plaintext token
// passed by mistake.
func (r *IssuerReport) Validate() error {
	switch {
	case !leakguard.ValidHash(r.Hash):
		return fmt.Errorf("%w: issuer report hash must be 64 lower-case hex characters (SHA-256)", ErrInvalid)
	case r.Issuer == "":
		return fmt.Errorf("%w: issuer report issuer is required", ErrInvalid)
	case r.FormatID == "":
		return fmt.Errorf("%w: issuer report format id is required", ErrInvalid)
	}
	return firstError(CheckLabel("issuer", r.Issuer, 0), CheckLabel("format id", r.FormatID, 0),
		CheckText("source", r.Source, 0), CheckText("location", r.Location, 0))
}

// Validate checks that s is one of the four issuer report states. The
// error wraps ErrInvalid.
func (s IssuerReportState) Validate() error {
	switch s {
	case IssuerReportPending, IssuerReportAccepted, IssuerReportAlreadyInvalid, IssuerReportRejected:
		return nil
	}
	return fmt.Errorf("%w: unknown issuer report state %q", ErrInvalid, string(s))
}

// Validate checks the filter: a known State (or none), a non-negative
// Limit, and an Issuer that passes CheckLabel.
func (f *IssuerReportFilter) Validate() error {
	if err := CheckLabel("issuer", f.Issuer, 0); err != nil {
		return err
	}
	if f.State != "" {
		if err := f.State.Validate(); err != nil {
			return err
		}
	}
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	return nil
}

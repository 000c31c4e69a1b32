package revoker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/rs/zerolog"
)

// Store is the part of store.Store the revoker consumes. Revoke must be a
// conditional update: concurrent calls on one token yield exactly one
// revocation, and its Notify is enqueued only by the call that revokes.
// AppendEvent records a pre-receive bypass (RecordBypass).
type Store interface {
	TokenByHash(ctx context.Context, hash string) (*store.Token, error)
	Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error)
	AppendEvent(ctx context.Context, ev store.Event) error
}

// Report is one sighting of a possibly leaked token, from any source.
// Either Secret or Hash identifies the token; Secret is only hashed and
// checked against the catalog, never stored or logged.
type Report struct {
	Secret patterns.Secret  // the token as found, if the source has it
	Hash   string           // SHA-256 hex of the token, if Secret is not given
	Rule   string           // format id, if known (a hash-only report of another issuer's format needs no look-up)
	Source leakguard.Source // where it was seen
	URL    string           // where it was seen (recorded, never fetched)
	Path   string           // file path, when there is no URL
	Line   int              // 1-based line in Path, 0 if unknown
	Commit string           // commit that added it, if known
	Actor  string           // who reports it ("github-secret-scanning", a user)
}

// Status says what the revoker found and did for one report.
type Status string

// Report outcomes.
const (
	StatusRevoked        Status = "revoked"         // this call revoked it
	StatusAlreadyRevoked Status = "already_revoked" // it was revoked before
	StatusExpired        Status = "expired"         // it had already expired
	StatusUnknown        Status = "unknown"         // our format, but never issued here
	StatusNotOurs        Status = "not_ours"        // not a token of an issued format
)

// Result is the outcome of one report.
type Result struct {
	Hash    string       // SHA-256 hex of the token
	Ours    bool         // issued by this leakguard: known to the store
	Revoked bool         // this call revoked it
	Already bool         // it was already invalid (revoked or expired)
	Status  Status       //
	Token   *store.Token // the token after the call; nil unless Ours
}

// Options tunes a Revoker.
type Options struct {
	Now    func() time.Time // nil: time.Now
	Logger zerolog.Logger
	// Workers bounds concurrent revocations in RevokeAll (default 8).
	Workers int
}

// Revoker turns reports into revocations. It is safe for concurrent use.
type Revoker struct {
	st      Store
	cat     *patterns.Catalog
	now     func() time.Time
	log     zerolog.Logger
	workers int
	settler store.Settler // st, if it is one (the Redis near cache); else nil
}

// New returns a Revoker over st that recognises our tokens with cat's
// issued formats.
func New(st Store, cat *patterns.Catalog, opts Options) *Revoker {
	r := &Revoker{st: st, cat: cat, now: opts.Now, log: opts.Logger, workers: opts.Workers}
	r.settler, _ = st.(store.Settler)
	if r.now == nil {
		r.now = time.Now
	}
	if r.workers <= 0 {
		r.workers = 8
	}
	return r
}

// DefaultActor is recorded as the revoking actor when a report names none.
const DefaultActor = "leakguard-revoker"

// ErrNoToken is returned for a report with neither Secret nor Hash.
var ErrNoToken = errors.New("revoker: report has no token or hash")

// Ours reports whether s is a checksum-valid token of one of the catalog's
// issued formats: the only test of "ours" (a payload's type field is never
// trusted). It makes no store call.
func (r *Revoker) Ours(s patterns.Secret) bool {
	return MayBeOurs(r.cat, Report{Secret: s})
}

// Revoke handles one report: hash, look up, and if the token is ours and
// active, revoke it with a reason naming where it leaked, one leak_reported
// event and a token.revoked notification, atomically. Reports of tokens
// that are not ours make no store call. Errors are store failures only; the
// result is then not durable.
func (r *Revoker) Revoke(ctx context.Context, rep Report) (Result, error) {
	return r.revoke(ctx, rep, false)
}

// revokeDeferred is Revoke for a batch: on a store.Settler (the Redis
// near cache) it returns before the revocation's commit wait, and the
// caller must settle once after the last one, before it reports any of
// them done. On other stores it is Revoke.
func (r *Revoker) revokeDeferred(ctx context.Context, rep Report) (Result, error) {
	return r.revoke(ctx, rep, r.settler != nil)
}

// settle waits out the commit waits revokeDeferred left (see
// store.Settler); a no-op unless the store is a Settler. It is not cut
// short by ctx: the revocations are committed and the wait is short.
func (r *Revoker) settle(ctx context.Context) error {
	if r.settler == nil {
		return nil
	}
	if err := r.settler.Settle(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("revoker: %w", err)
	}
	return nil
}

// revoke is Revoke; with deferSettle a Settler store returns before its
// commit wait and the caller must settle it (see store.Settler).
func (r *Revoker) revoke(ctx context.Context, rep Report, deferSettle bool) (Result, error) {
	hash, err := hashOf(rep)
	if err != nil {
		return Result{Status: StatusNotOurs}, err
	}
	res := Result{Hash: hash, Status: StatusNotOurs}
	if !rep.Secret.IsZero() && !r.Ours(rep.Secret) {
		return res, nil
	}
	res.Status = StatusUnknown
	t, err := r.st.TokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("revoker: look up %s: %w", leakguard.ShortHash(hash), err)
	}
	return r.revokeKnown(ctx, rep, t, res, deferSettle)
}

// settled fills res for a token that was already invalid.
func settled(res Result, st leakguard.State) Result {
	res.Already = true
	res.Status = StatusAlreadyRevoked
	if st == leakguard.StateExpired {
		res.Status = StatusExpired
	}
	return res
}

// hashOf returns the report's token hash.
func hashOf(rep Report) (string, error) {
	if !rep.Secret.IsZero() {
		return rep.Secret.Hash(), nil
	}
	h := strings.ToLower(strings.TrimSpace(rep.Hash))
	if !leakguard.ValidHash(h) {
		return "", ErrNoToken
	}
	return h, nil
}

// maxLocation bounds the location part of a reason.
const maxLocation = 512

// Reason returns the revocation reason of a report:
// "leaked: <source> <location>" (see Location); the source, like the
// location, comes from the report and is cleaned the same way.
func Reason(rep Report) string {
	loc := Location(rep)
	src := clean(string(rep.Source), rep.Secret)
	if src == "" {
		src = "unknown"
	}
	if loc == "" {
		return "leaked: " + src
	}
	return "leaked: " + src + " " + loc
}

// Location says where a report saw its token: the URL, or
// "<path>:<line>" with " commit <sha>" when the report names the commit (a
// URL already pins it). It comes from the report (untrusted): control
// characters are dropped, it is cut to 512 bytes, and the token itself,
// should it appear there, is redacted.
func Location(rep Report) string {
	loc := rep.URL
	if loc == "" && rep.Path != "" {
		loc = rep.Path
		if rep.Line > 0 {
			loc += ":" + strconv.Itoa(rep.Line)
		}
		if rep.Commit != "" {
			loc += " commit " + rep.Commit
		}
	}
	if loc == "" && rep.Commit != "" {
		loc = "commit " + rep.Commit
	}
	return clean(loc, rep.Secret)
}

// clean drops what a label may not hold (controls, line separators, bidi
// controls, invalid UTF-8: store.CleanLabel), then removes the secret —
// after the cleaning, so a token split by a control character is found
// whole — and bounds the length.
func clean(s string, secret patterns.Secret) string {
	s = store.CleanLabel(s)
	if !secret.IsZero() && secret.Len() > 0 {
		s = strings.ReplaceAll(s, secret.Reveal(), patterns.Redacted)
	}
	if len(s) > maxLocation {
		s = strings.ToValidUTF8(s[:maxLocation], "")
	}
	return strings.TrimSpace(s)
}

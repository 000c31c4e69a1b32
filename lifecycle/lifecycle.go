package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Errors Manager returns besides the store's sentinels.
var (
	// ErrMalformed means a value is not a checksum-valid token of a format
	// this installation issues. Verify returns it before any store call.
	ErrMalformed = errors.New("malformed token")
	// ErrPolicy means the asked expiry is not allowed by the policy.
	ErrPolicy = errors.New("expiry not allowed by policy")
)

// Options configures a Manager.
type Options struct {
	Policy Policy           // zero value: DefaultPolicy()
	Now    func() time.Time // nil: time.Now
	Rand   io.Reader        // nil: crypto/rand
	Logger zerolog.Logger   // zero value logs nothing useful; pass one
	// TouchInterval is the minimum time between two last_used_at writes for
	// one token, and between two verified_invalid events (0: one minute).
	TouchInterval time.Duration
	// QueueSize bounds the background write queue (0: 1024). When it is
	// full, writes are dropped (and logged), never waited for.
	QueueSize int
	// AllowedScopes, when not nil, lists the only scopes tokens may be
	// issued with (the configuration's [scopes] allowed; empty: none at
	// all). nil: any scope of the rule (leakguard.CheckScope).
	AllowedScopes []string
}

// Manager is the token lifecycle over a store. It is safe for concurrent
// use. Call Close when done to flush pending background writes.
type Manager struct {
	st     store.Store
	cat    *patterns.Catalog
	policy Policy
	now    func() time.Time
	rand   io.Reader
	log    zerolog.Logger
	bg     *background
	scopes []string // Options.AllowedScopes
}

// New returns a Manager issuing tokens of cat's issued formats into st.
func New(st store.Store, cat *patterns.Catalog, opts Options) *Manager {
	if opts.Policy == (Policy{}) {
		opts.Policy = DefaultPolicy()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TouchInterval <= 0 {
		opts.TouchInterval = time.Minute
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1024
	}
	return &Manager{
		st: st, cat: cat, policy: opts.Policy, now: opts.Now, rand: opts.Rand, log: opts.Logger,
		bg:     newBackground(st, opts.Logger, opts.TouchInterval, opts.QueueSize),
		scopes: opts.AllowedScopes,
	}
}

// Now returns the Manager's clock reading, in UTC at microsecond precision
// (what every store keeps).
func (m *Manager) Now() time.Time { return m.now().UTC().Truncate(time.Microsecond) }

// Policy returns the expiry policy in force.
func (m *Manager) Policy() Policy { return m.policy }

// Catalog returns the catalog tokens are issued and checked against.
func (m *Manager) Catalog() *patterns.Catalog { return m.cat }

// Store returns the underlying store.
func (m *Manager) Store() store.Store { return m.st }

// Close waits for pending background writes (bounded by their own
// timeouts) and stops the worker. It does not close the store. Calls after
// the first do nothing.
func (m *Manager) Close() error {
	m.bg.close()
	return nil
}

// IssueRequest asks for a new token.
type IssueRequest struct {
	Owner     string // required: who is told when it leaks or expires
	Name      string // required: human label
	Type      string // user (default), service or admin
	ExpiresIn string // as ParseExpiry reads it; "" = policy default
	Actor     string // who asked (audit)
	Source    string // how (cli, api, ...)
	// Scopes the token carries for good (see Manager.Scopes); none by
	// default.
	Scopes []string
}

// Issued is a newly issued token: its record and, once, its plaintext.
type Issued struct {
	Token  *store.Token
	Secret patterns.Secret
}

// Issue mints a token under the policy, stores its hash with an issued
// event, and returns the plaintext once. Owner and name are trimmed, and
// tokens quoted in owner, name, actor or source are redacted (see the
// text rules in text.go). Errors: ErrPolicy (expiry refused),
// store.ErrInvalid (missing owner or name, unknown type, unparsable
// expiry, scopes refused by Manager.Scopes; a *store.TextError for text
// that breaks the rules), or the store's.
func (m *Manager) Issue(ctx context.Context, req IssueRequest) (Issued, error) {
	req.Owner, req.Name = m.redact(strings.TrimSpace(req.Owner)), m.redact(strings.TrimSpace(req.Name))
	req.Actor, req.Source = m.redact(req.Actor), m.redact(req.Source)
	if req.Type == "" {
		req.Type = patterns.TypeUser
	}
	if err := checkIssue(req); err != nil {
		return Issued{}, err
	}
	scopes, err := m.Scopes(req.Scopes)
	if err != nil {
		return Issued{}, err
	}
	life, err := m.policy.Lifetime(req.ExpiresIn)
	if err != nil {
		return Issued{}, err
	}
	iss, err := m.mint(&store.Token{Type: req.Type, Owner: req.Owner, Name: req.Name, Scopes: scopes}, life)
	if err != nil {
		return Issued{}, err
	}
	t, id, now := iss.Token, iss.Token.ID, iss.Token.CreatedAt
	detail := issuedDetail(t)
	ev := store.Event{TokenID: id, Kind: store.EventIssued, At: now, Actor: req.Actor, Source: req.Source, Detail: detail}
	if err := m.st.CreateToken(ctx, t, ev); err != nil {
		return Issued{}, fmt.Errorf("issue token %s: %w", id, err)
	}
	m.log.Info().Str("token_id", id).Str("owner", t.Owner).Str("type", t.Type).
		Str("actor", req.Actor).Str("source", req.Source).Str("expiry", FormatExpiry(life)).
		Strs("scopes", scopes).Msg("token issued")
	return iss, nil
}

// mint generates a token of like's type with like's owner, name and
// scopes, living life (0: never expires), not yet stored.
func (m *Manager) mint(like *store.Token, life time.Duration) (Issued, error) {
	f, ok := m.cat.Issued(like.Type)
	if !ok {
		return Issued{}, fmt.Errorf("%w: unknown token type %q", store.ErrInvalid, like.Type)
	}
	sec, err := f.Generate(m.rand)
	if err != nil {
		return Issued{}, fmt.Errorf("issue: %w", err)
	}
	id, err := store.RandomID("tok_")
	if err != nil {
		return Issued{}, fmt.Errorf("issue: %w", err)
	}
	now := m.Now()
	t := &store.Token{
		ID: id, Hash: sec.Hash(), Type: like.Type, FormatID: f.ID, Owner: like.Owner, Name: like.Name,
		Last4: sec.Last4(), CreatedAt: now, Valid: true, Scopes: like.Scopes,
	}
	if life > 0 {
		exp := now.Add(life)
		t.ExpiresAt = &exp
	}
	return Issued{Token: t, Secret: sec}, nil
}

// issuedDetail is the issued event's detail: "expires <RFC 3339>" or
// "never expires", then "; scopes a b c" when the token has scopes
// (docs/events.md#audit-events).
func issuedDetail(t *store.Token) string {
	detail := "never expires"
	if t.ExpiresAt != nil {
		detail = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	if len(t.Scopes) > 0 {
		detail += "; scopes " + strings.Join(t.Scopes, " ")
	}
	return detail
}

// checkIssue checks an issue request whose text is trimmed and redacted.
func checkIssue(req IssueRequest) error {
	switch {
	case req.Owner == "":
		return fmt.Errorf("%w: owner is required", store.ErrInvalid)
	case req.Name == "":
		return fmt.Errorf("%w: name is required", store.ErrInvalid)
	}
	return firstError(
		store.CheckLabel("owner", req.Owner, maxOwnerLen), store.CheckLabel("name", req.Name, maxNameLen),
		store.CheckLabel("type", req.Type, 0), store.CheckLabel("expires_in", req.ExpiresIn, 0),
		store.CheckLabel("actor", req.Actor, maxActorLen), store.CheckLabel("source", req.Source, maxSourceLen))
}

// Get returns the token with that id (store.ErrNotFound if none; a
// *store.TextError for an id no token can have, see text.go).
func (m *Manager) Get(ctx context.Context, id string) (*store.Token, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: id is required", store.ErrInvalid)
	}
	id = m.redact(id)
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	t, err := m.st.TokenByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get token %s: %w", id, err)
	}
	return t, nil
}

// List returns the tokens matching f, ordered by id. f.Now defaults to the
// Manager's clock; an unknown f.State is store.ErrInvalid, and so is
// owner, cursor or state text that breaks the rules of text.go, and a
// scope (f.Scope, trimmed) that breaks leakguard.CheckScope. Tokens
// quoted in the owner or cursor are redacted first, as they were when
// stored: a token pasted as an owner is found by the same paste.
func (m *Manager) List(ctx context.Context, f store.ListFilter) ([]*store.Token, error) {
	f.Owner, f.After, f.Scope = m.redact(f.Owner), m.redact(f.After), strings.TrimSpace(f.Scope)
	if err := firstError(store.CheckLabel("owner", f.Owner, maxOwnerLen), checkID("cursor", f.After),
		store.CheckLabel("state", string(f.State), 0), checkScopeFilter(f.Scope)); err != nil {
		return nil, err
	}
	switch f.State {
	case "", leakguard.StateActive, leakguard.StateRevoked, leakguard.StateExpired:
	default:
		return nil, fmt.Errorf("%w: unknown state %q (want active, revoked or expired)", store.ErrInvalid, f.State)
	}
	if f.Limit < 0 {
		return nil, fmt.Errorf("%w: negative limit", store.ErrInvalid)
	}
	if f.Now.IsZero() {
		f.Now = m.Now()
	}
	ts, err := m.st.ListTokens(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// Events returns a token's audit trail, oldest first (store.ErrNotFound for
// an unknown token).
func (m *Manager) Events(ctx context.Context, id string) ([]store.Event, error) {
	if _, err := m.Get(ctx, id); err != nil {
		return nil, err
	}
	evs, err := m.st.Events(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", id, err)
	}
	return evs, nil
}

// Package storetest is the conformance suite every store.Store adapter
// passes: store/sqlite, store/postgres, and store/rediscache over each.
//
// Run(t, newStore) runs every case as a parallel subtest, each on a fresh,
// empty store from newStore (which registers its own cleanup). The suite only
// ever hands the store hashes of tokens it generated; stores that implement
// Dumper are searched afterwards for those tokens' plaintext (the canary).
//
// Times used by the suite are whole microseconds, the finest precision every
// adapter keeps (PostgreSQL's timestamptz).
//
// The package is only the suite: the services adapters' tests run against
// (PostgreSQL, Redis, throw-away redis-servers) come from internal/testenv.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Dumper is implemented by stores that can write all their stored data as
// text (every row of every table, every cache key and value). The canary
// case uses it to prove no plaintext token is ever stored.
type Dumper interface {
	Dump(ctx context.Context, w io.Writer) error
}

// Run runs the conformance suite against stores made by newStore. Each
// call of newStore must return a new, empty store; it closes the store
// through t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"CreateAndLookup", testCreateAndLookup},
		{"CreateConflict", testCreateConflict},
		{"CreateInvalid", testCreateInvalid},
		{"OptionalTimes", testOptionalTimes},
		{"ListFilters", testListFilters},
		{"ListPagination", testListPagination},
		{"Scopes", testScopes},
		{"ScopesInvalid", testScopesInvalid},
		{"ListByScope", testListByScope},
		{"RevokeByID", testRevokeByID},
		{"RevokeByHash", testRevokeByHash},
		{"RevokeIdempotent", testRevokeIdempotent},
		{"RevokeConcurrent", testRevokeConcurrent},
		{"RevokeErrors", testRevokeErrors},
		{"RevokeLeakReported", testRevokeLeakReported},
		{"RevokeExpiredUnmarked", testRevokeExpiredUnmarked},
		{"RotateWithGrace", testRotateWithGrace},
		{"RotateGraceCapped", testRotateGraceCapped},
		{"RotateAtOnce", testRotateAtOnce},
		{"RotateRefused", testRotateRefused},
		{"RotateConcurrent", testRotateConcurrent},
		{"RotateRevoked", testRotateRevoked},
		{"RevocationLog", testRevocationLog},
		{"RevocationLogFollowed", testRevocationLogFollowed},
		{"ExpireDue", testExpireDue},
		{"ExpiringAndNotices", testExpiringAndNotices},
		{"RecordNoticeConcurrent", testRecordNoticeConcurrent},
		{"TouchLastUsed", testTouchLastUsed},
		{"TouchLastUsedMany", testTouchLastUsedMany},
		{"EventsOrder", testEventsOrder},
		{"EventsErrors", testEventsErrors},
		{"OutboxClaimLease", testOutboxClaimLease},
		{"OutboxFailAndDeliver", testOutboxFailAndDeliver},
		{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
		{"IssuerReportClaimNew", testIssuerReportClaimNew},
		{"IssuerReportScenarios", testIssuerReportScenarios},
		{"IssuerReportConcurrentClaims", testIssuerReportConcurrentClaims},
		{"IssuerReportList", testIssuerReportList},
		{"IssuerReportErrors", testIssuerReportErrors},
		{"Ping", testPing},
		{"Canary", testCanary},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, &harness{t: t, s: newStore(t), ctx: context.Background()})
		})
	}
}

// base is the suite's reference time (whole microseconds, UTC).
func base() time.Time { return time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.UTC) }

// harness is one case's store plus the plaintext tokens generated for it.
type harness struct {
	t   *testing.T
	s   store.Store
	ctx context.Context

	mu      sync.Mutex
	secrets []patterns.Secret
}

// tokenOpt adjusts a token before it is created.
type tokenOpt func(*store.Token)

// Small helpers: token options, times relative to base, id lists.

func withOwner(o string) tokenOpt          { return func(t *store.Token) { t.Owner = o } }
func withExpiry(at time.Time) tokenOpt     { return func(t *store.Token) { t.ExpiresAt = &at } }
func withCreated(at time.Time) tokenOpt    { return func(t *store.Token) { t.CreatedAt = at } }
func withType(typ string) tokenOpt         { return func(t *store.Token) { t.Type = typ } }
func withName(n string) tokenOpt           { return func(t *store.Token) { t.Name = n } }
func withLastUsed(at time.Time) tokenOpt   { return func(t *store.Token) { t.LastUsedAt = &at } }
func withScopes(s ...string) tokenOpt      { return func(t *store.Token) { t.Scopes = s } }
func after(d time.Duration) time.Time      { return base().Add(d) }
func isErr(err, target error) bool         { return errors.Is(err, target) }
func sortedIDs(ts []*store.Token) []string { return sortStrings(tokenIDs(ts)) }
func sortStrings(s []string) []string      { sort.Strings(s); return s }

// newToken generates a real token of leakguard's own format and returns the
// record the store gets (hash and last4 only) and the plaintext secret.
func (h *harness) newToken(opts ...tokenOpt) (*store.Token, patterns.Secret) {
	h.t.Helper()
	f := patterns.OwnFormat(patterns.TypeUser, "lgu_")
	if err := f.Compile(); err != nil {
		h.t.Fatalf("compile own format: %v", err)
	}
	sec, err := f.Generate(rand.Reader)
	if err != nil {
		h.t.Fatalf("generate: %v", err)
	}
	id, err := store.RandomID("tok_")
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.secrets = append(h.secrets, sec)
	h.mu.Unlock()
	tok := &store.Token{ID: id, Hash: sec.Hash(), Type: patterns.TypeUser, FormatID: f.ID,
		Owner: "alice@example.org", Name: "ci deploy", Last4: sec.Last4(), CreatedAt: base(), Valid: true}
	for _, o := range opts {
		o(tok)
	}
	return tok, sec
}

// create generates and stores a token with its issued event.
func (h *harness) create(opts ...tokenOpt) *store.Token {
	h.t.Helper()
	tok, _ := h.newToken(opts...)
	ev := store.Event{Kind: store.EventIssued, At: tok.CreatedAt, Actor: "admin", Source: "test"}
	if err := h.s.CreateToken(h.ctx, tok, ev); err != nil {
		h.t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// byID loads a token that must exist.
func (h *harness) byID(id string) *store.Token {
	h.t.Helper()
	got, err := h.s.TokenByID(h.ctx, id)
	if err != nil {
		h.t.Fatalf("TokenByID(%s): %v", id, err)
	}
	return got
}

// events loads a token's audit trail.
func (h *harness) events(id string) []store.Event {
	h.t.Helper()
	evs, err := h.s.Events(h.ctx, id)
	if err != nil {
		h.t.Fatalf("Events(%s): %v", id, err)
	}
	return evs
}

// kinds lists the events of a given kind.
func kinds(evs []store.Event, k store.EventKind) []store.Event {
	var out []store.Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// drainOutbox claims everything in the outbox (far in the future) and
// returns it; the entries stay in the outbox, leased.
func (h *harness) drainOutbox() []store.Notification {
	h.t.Helper()
	ns, err := h.s.ClaimNotifications(h.ctx, base().Add(100*365*24*time.Hour), 1000, time.Hour)
	if err != nil {
		h.t.Fatalf("ClaimNotifications: %v", err)
	}
	return ns
}

// notification builds an outbox entry about tok.
func (h *harness) notification(typ string, tok *store.Token, reason string) *store.Notification {
	h.t.Helper()
	n, err := store.NewNotification(typ, tok, reason, "test", base())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func tokenIDs(ts []*store.Token) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

// sameTime compares optional times.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// assertToken compares every field of two tokens.
func assertToken(t *testing.T, got, want *store.Token) {
	t.Helper()
	if got == nil {
		t.Fatalf("got nil token, want %s", want.ID)
	}
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) || !sameTime(g.ExpiresAt, w.ExpiresAt) ||
		!sameTime(g.LastUsedAt, w.LastUsedAt) || !sameTime(g.InvalidAt, w.InvalidAt) {
		t.Errorf("token %s times: got created=%v expires=%v used=%v invalid=%v, want %v %v %v %v", w.ID,
			g.CreatedAt, g.ExpiresAt, g.LastUsedAt, g.InvalidAt, w.CreatedAt, w.ExpiresAt, w.LastUsedAt, w.InvalidAt)
	}
	if !slices.Equal(g.Scopes, w.Scopes) || (g.Scopes != nil) != (len(w.Scopes) > 0) {
		t.Errorf("token %s scopes: got %#v, want %q (sorted; nil for none)", w.ID, g.Scopes, w.Scopes)
	}
	g.CreatedAt, g.ExpiresAt, g.LastUsedAt, g.InvalidAt, g.Scopes = time.Time{}, nil, nil, nil, nil
	w.CreatedAt, w.ExpiresAt, w.LastUsedAt, w.InvalidAt, w.Scopes = time.Time{}, nil, nil, nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("token %s: got %+v, want %+v", want.ID, g, w)
	}
}

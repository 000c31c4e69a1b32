package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, DefaultPolicy())
	live := f.issue(t, "30d")
	short := f.issue(t, "1s")
	dead := f.issue(t, "30d")
	if _, _, err := f.m.Revoke(ctx, RevokeRequest{ID: dead.Token.ID, Reason: "leaked: file a.txt:3", Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	revokedAt := f.clk.Now()
	f.clk.Add(2 * time.Second)
	userFmt, _ := f.m.Catalog().Issued(patterns.TypeUser)
	unknown := userFmt.WithChecksum("lgu_", strings.Repeat("A", 30))
	tests := []struct {
		name    string
		secret  string
		valid   bool
		message string
		err     error
	}{
		{"valid", live.Secret.Reveal(), true, "", nil},
		{"expired", short.Secret.Reveal(), false,
			"This API token expired on " + short.Token.ExpiresAt.UTC().Format(time.RFC3339), nil},
		{"revoked", dead.Secret.Reveal(), false,
			"This API token became invalid on " + revokedAt.Format(time.RFC3339) + ": leaked: file a.txt:3", nil},
		{"unknown", unknown, false, MsgUnknown, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := f.m.Verify(ctx, patterns.NewSecret(tt.secret))
			if !errors.Is(err, tt.err) {
				t.Fatalf("Verify err = %v, want %v", err, tt.err)
			}
			if v.Valid != tt.valid || v.Message != tt.message {
				t.Errorf("Verify = %v %q, want %v %q", v.Valid, v.Message, tt.valid, tt.message)
			}
		})
	}
}

func TestVerifyMalformedTouchesNoStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "")
	plain := is.Secret.Reveal()
	ghp, _ := patterns.Default().ByID("github-pat")
	badSum := plain[:len(plain)-1] + "0"
	if plain[len(plain)-1] == '0' {
		badSum = plain[:len(plain)-1] + "1" // always a different last character
	}
	inputs := map[string]string{
		"empty":        "",
		"garbage":      "hello world",
		"bad checksum": badSum,
		"truncated":    plain[:len(plain)-1],
		"extended":     plain + "A",
		"space inside": plain[:10] + " " + plain[11:],
		"huge":         strings.Repeat("lgu_", 10000),
		"vendor token": ghpToken(ghp),
	}
	before := f.st.Calls()
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			v, err := f.m.Verify(context.Background(), patterns.NewSecret(in))
			if !errors.Is(err, ErrMalformed) || v.Valid || v.Message != MsgMalformed {
				t.Errorf("Verify = %+v, %v; want malformed", v, err)
			}
		})
	}
	if got := f.st.Calls(); got != before {
		t.Errorf("malformed tokens made %d store calls, want 0", got-before)
	}
}

func ghpToken(f *patterns.Format) string {
	if f == nil {
		return "ghp_x"
	}
	return f.WithChecksum(f.Prefixes[0], strings.Repeat("b", f.BodyMin))
}

// countingStore counts background writes.
type countingStore struct {
	store.Store
	touches, appends chan time.Time
}

func (c *countingStore) TouchLastUsed(ctx context.Context, id string, at time.Time) error {
	c.touches <- at
	return c.Store.TouchLastUsed(ctx, id, at)
}

func (c *countingStore) AppendEvent(ctx context.Context, ev store.Event) error {
	c.appends <- ev.At
	return c.Store.AppendEvent(ctx, ev)
}

func TestVerifyBackgroundWritesAreRateLimited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	cs := &countingStore{Store: newTestStore(t, clk.Now), touches: make(chan time.Time, 100), appends: make(chan time.Time, 100)}
	m := New(cs, patterns.Default(), Options{Now: clk.Now})
	live, err := m.Issue(ctx, IssueRequest{Owner: "o", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	dead, _ := m.Issue(ctx, IssueRequest{Owner: "o", Name: "n"})
	if _, _, err := m.Revoke(ctx, RevokeRequest{ID: dead.Token.ID, Reason: "r", Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	first := clk.Now()
	for round := 0; round < 2; round++ {
		for i := 0; i < 20; i++ {
			if v, err := m.Verify(ctx, live.Secret); err != nil || !v.Valid {
				t.Fatalf("Verify live = %+v, %v", v, err)
			}
			if v, err := m.Verify(ctx, dead.Secret); err != nil || v.Valid {
				t.Fatalf("Verify dead = %+v, %v", v, err)
			}
			clk.Add(time.Second)
		}
		clk.Add(time.Minute)
	}
	_ = m.Close()
	_ = m.Close() // idempotent
	// Two writes are scheduled (one a minute); pending ones for a token
	// are coalesced before they are sent, so the store may see only the
	// later.
	if got := len(cs.touches); got < 1 || got > 2 {
		t.Errorf("last_used_at writes = %d, want 1 or 2", got)
	}
	if got, want := len(cs.appends), 2; got != want {
		t.Errorf("verified_invalid events = %d, want %d", got, want)
	}
	tok, _ := cs.TokenByID(ctx, live.Token.ID)
	if tok.LastUsedAt == nil || !tok.LastUsedAt.After(first) {
		t.Errorf("LastUsedAt = %v, want after %v", tok.LastUsedAt, first)
	}
	evs, _ := cs.Events(ctx, dead.Token.ID)
	if k := evs[len(evs)-1].Kind; k != store.EventVerifiedInvalid {
		t.Errorf("last event kind = %s, want %s", k, store.EventVerifiedInvalid)
	}
	// After Close, Verify still answers but schedules nothing.
	if v, err := m.Verify(ctx, live.Secret); err != nil || !v.Valid {
		t.Errorf("Verify after Close = %+v, %v", v, err)
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		req  func(is Issued) RevokeRequest
	}{
		{"by secret", func(is Issued) RevokeRequest { return RevokeRequest{Secret: is.Secret} }},
		{"by hash", func(is Issued) RevokeRequest { return RevokeRequest{Hash: is.Token.Hash} }},
		{"by upper-case hash", func(is Issued) RevokeRequest { return RevokeRequest{Hash: strings.ToUpper(is.Token.Hash)} }},
		{"by id", func(is Issued) RevokeRequest { return RevokeRequest{ID: is.Token.ID} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, DefaultPolicy())
			is := f.issue(t, "")
			req := tt.req(is)
			req.Reason, req.Actor, req.Source = "leaked: file x:1", "bob", "scan"
			tok, already, err := f.m.Revoke(ctx, req)
			if err != nil || already || tok.Valid || tok.InvalidReason != "leaked: file x:1" || tok.RevokedBy != "bob" {
				t.Fatalf("first Revoke = %+v, %v, %v", tok, already, err)
			}
			f.clk.Add(time.Minute)
			req.Reason = "again"
			tok, already, err = f.m.Revoke(ctx, req)
			if err != nil || !already || tok.InvalidReason != "leaked: file x:1" {
				t.Fatalf("second Revoke = %+v, %v, %v; want already revoked with the first reason", tok, already, err)
			}
			evs, _ := f.m.Events(ctx, is.Token.ID)
			if n := countKind(evs, store.EventRevoked); n != 1 {
				t.Errorf("%d revoked events, want 1", n)
			}
			out := f.st.Outbox()
			if len(out) != 1 || out[0].Type != store.NotifyRevoked {
				t.Fatalf("outbox = %+v, want one token.revoked", out)
			}
			var p store.EventPayload
			if err := json.Unmarshal(out[0].Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != store.NotifyRevoked || p.Token.ID != is.Token.ID || p.Reason != "leaked: file x:1" || p.Source != "scan" {
				t.Errorf("payload = %+v", p)
			}
			if p.Rotate != nil { // an explicit revocation (kind revoked): no rotate hint
				t.Errorf("payload rotate = %+v, want none", p.Rotate)
			}
		})
	}
}

func countKind(evs []store.Event, k store.EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func TestRevokeRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "")
	userFmt, _ := f.m.Catalog().Issued(patterns.TypeUser)
	unknown := patterns.NewSecret(userFmt.WithChecksum("lgu_", strings.Repeat("Z", 30)))
	tests := []struct {
		name   string
		req    RevokeRequest
		wantIs error
	}{
		{"no identifier", RevokeRequest{Reason: "r", Actor: "a"}, store.ErrInvalid},
		{"two identifiers", RevokeRequest{ID: is.Token.ID, Hash: is.Token.Hash, Reason: "r", Actor: "a"}, store.ErrInvalid},
		{"no reason", RevokeRequest{ID: is.Token.ID, Actor: "a"}, store.ErrInvalid},
		{"blank reason", RevokeRequest{ID: is.Token.ID, Reason: " ", Actor: "a"}, store.ErrInvalid},
		{"no actor", RevokeRequest{ID: is.Token.ID, Reason: "r"}, store.ErrInvalid},
		{"bad hash", RevokeRequest{Hash: "abc", Reason: "r", Actor: "a"}, store.ErrInvalid},
		{"plaintext as hash", RevokeRequest{Hash: is.Secret.Reveal(), Reason: "r", Actor: "a"}, store.ErrInvalid},
		{"malformed secret", RevokeRequest{Secret: patterns.NewSecret("nope"), Reason: "r", Actor: "a"}, ErrMalformed},
		{"unknown id", RevokeRequest{ID: "tok_nope", Reason: "r", Actor: "a"}, store.ErrNotFound},
		{"unknown hash", RevokeRequest{Hash: strings.Repeat("a", 64), Reason: "r", Actor: "a"}, store.ErrNotFound},
		{"unknown secret", RevokeRequest{Secret: unknown, Reason: "r", Actor: "a"}, store.ErrNotFound},
		{"bad kind", RevokeRequest{ID: is.Token.ID, Reason: "r", Actor: "a", Kind: store.EventIssued}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.m.Revoke(context.Background(), tt.req)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Revoke err = %v, want %v", err, tt.wantIs)
			}
			if err != nil && strings.Contains(err.Error(), is.Secret.Reveal()) {
				t.Error("error message contains the plaintext token")
			}
		})
	}
	tok, _ := f.m.Get(context.Background(), is.Token.ID)
	if !tok.Valid || len(f.st.Outbox()) != 0 {
		t.Errorf("refused revokes changed the token or the outbox")
	}
}

func TestNewRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "1s")
	now := f.clk.Now()
	r := NewRecord(is.Token, now)
	if r.State != leakguard.StateActive || r.InvalidAt != nil {
		t.Errorf("fresh record = %+v", r)
	}
	r = NewRecord(is.Token, now.Add(time.Hour))
	if r.State != leakguard.StateExpired || r.InvalidAt == nil || !r.InvalidAt.Equal(*is.Token.ExpiresAt) || r.InvalidReason != store.ReasonExpired {
		t.Errorf("unswept expired record = %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"id", "owner", "name", "type", "last4", "created_at", "expires_at", "last_used_at", "state", "invalid_at", "invalid_reason", "scopes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("record JSON lacks %q: %s", k, b)
		}
	}
	if len(m) != 12 {
		t.Errorf("record JSON has %d keys, want 12: %s", len(m), b)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, DefaultPolicy())
	a := f.issue(t, "1s")
	b := f.issue(t, "")
	c := f.issue(t, "")
	if _, _, err := f.m.Revoke(ctx, RevokeRequest{ID: c.Token.ID, Reason: "r", Actor: "x"}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	for state, want := range map[leakguard.State]string{leakguard.StateExpired: a.Token.ID, leakguard.StateActive: b.Token.ID, leakguard.StateRevoked: c.Token.ID} {
		ts, err := f.m.List(ctx, store.ListFilter{State: state})
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[0].ID != want {
			t.Errorf("List(%s) = %d tokens, want %s", state, len(ts), want)
		}
	}
	if _, err := f.m.List(ctx, store.ListFilter{State: "dead"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List(dead) err = %v, want ErrInvalid", err)
	}
}

func TestRevokeRedactsTokensInFreeText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "")
	plain := is.Secret.Reveal()
	tok, _, err := f.m.Revoke(ctx, RevokeRequest{Secret: is.Secret, Reason: "leaked as " + plain + " in chat",
		Actor: "bob " + plain, Source: "scan " + plain})
	if err != nil {
		t.Fatal(err)
	}
	if want := "leaked as " + patterns.Redacted + " in chat"; tok.InvalidReason != want {
		t.Errorf("reason = %q, want %q", tok.InvalidReason, want)
	}
	stored, err := f.st.TokenByID(ctx, is.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := f.m.Events(ctx, is.Token.ID)
	rows, _ := json.Marshal([]any{stored, evs, f.st.Outbox()})
	if strings.Contains(string(rows), plain) || strings.Contains(f.log.String(), plain) {
		t.Error("a stored row, notification or log line holds the plaintext token")
	}
}

// batchCounter counts the batches of last_used_at writes it forwards.
type batchCounter struct {
	store.Store
	batches, touched atomic.Int64
}

func (b *batchCounter) TouchLastUsedMany(ctx context.Context, ts []store.Touch) error {
	b.batches.Add(1)
	b.touched.Add(int64(len(ts)))
	return b.Store.(store.BatchToucher).TouchLastUsedMany(ctx, ts)
}

// TestVerifyManyTokensBatchesTouches: verifying many distinct tokens
// writes their last_used_at in batches (one store call, one commit, for
// up to 500 tokens), and every one is written by Close.
func TestVerifyManyTokensBatchesTouches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	st := newTestStore(t, clk.Now)
	bc := &batchCounter{Store: st.Store}
	m := New(bc, patterns.Default(), Options{Now: clk.Now})
	const n = 1200
	toks := make([]Issued, n)
	for i := range toks {
		var err error
		if toks[i], err = m.Issue(ctx, IssueRequest{Owner: "o", Name: "n"}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(time.Second)
	for _, is := range toks {
		if v, err := m.Verify(ctx, is.Secret); err != nil || !v.Valid {
			t.Fatalf("Verify = %+v, %v", v, err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := bc.touched.Load(); got != n {
		t.Errorf("%d last_used_at writes, want %d", got, n)
	}
	if b := bc.batches.Load(); b > n/10 {
		t.Errorf("%d store calls for %d tokens, want batches", b, n)
	}
	for _, is := range toks[:10] {
		got, err := st.TokenByID(ctx, is.Token.ID)
		if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(clk.Now()) {
			t.Errorf("token %s: LastUsedAt %v, %v; want %v", is.Token.ID, got.LastUsedAt, err, clk.Now())
		}
	}
}

// TestVerifyBusyWritesLessOften: while more than busyRate distinct tokens
// a second are due a last_used_at write, a token already written within
// busyFactor intervals is not written again after one interval; a first
// write is never held back, and a process that is not busy writes once an
// interval.
func TestVerifyBusyWritesLessOften(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		tokens int
		want   [3]int64 // writes after: the first verify, one interval later, busyFactor+1 intervals later
	}{
		// One interval later the first busyRate tokens of the burst are
		// written (the rate is measured, so busy begins past it), the rest
		// not; past busyFactor intervals every one is.
		{"busy", 2 * busyRate, [3]int64{2 * busyRate, 3 * busyRate, 5 * busyRate}},
		{"not busy", busyRate / 5, [3]int64{busyRate / 5, 2 * busyRate / 5, 3 * busyRate / 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			st := newTestStore(t, clk.Now)
			bc := &batchCounter{Store: st.Store}
			m := New(bc, patterns.Default(), Options{Now: clk.Now})
			defer m.Close()
			toks := make([]Issued, tt.tokens)
			for i := range toks {
				var err error
				if toks[i], err = m.Issue(ctx, IssueRequest{Owner: "o", Name: "n"}); err != nil {
					t.Fatal(err)
				}
			}
			for i, step := range []time.Duration{time.Second, time.Minute + time.Second, (busyFactor + 1) * time.Minute} {
				clk.Add(step)
				for _, is := range toks {
					if v, err := m.Verify(ctx, is.Secret); err != nil || !v.Valid {
						t.Fatalf("Verify = %+v, %v", v, err)
					}
				}
				// The worker may be writing a batch it took before this
				// flush: wait for the writes to arrive, then count.
				m.bg.flushTouches()
				for deadline := time.Now().Add(10 * time.Second); bc.touched.Load() < tt.want[i] && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
				}
				if got := bc.touched.Load(); got != tt.want[i] {
					t.Fatalf("after step %d: %d last_used_at writes, want %d", i, got, tt.want[i])
				}
			}
		})
	}
}

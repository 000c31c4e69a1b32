package lifecycle

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// notices returns the expiring-notice event details of a token.
func notices(t *testing.T, f *fixture, id string) []string {
	t.Helper()
	evs, err := f.m.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Kind == store.EventExpiringNotice {
			out = append(out, e.Detail[:len("stage 7d")])
		}
	}
	return out
}

func sweep(t *testing.T, f *fixture) {
	t.Helper()
	if err := f.m.Sweep(context.Background()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
}

func TestSweepStages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, DefaultPolicy())
	long := f.issue(t, "10d")
	short := f.issue(t, "3d")
	far := f.issue(t, "90d")
	steps := []struct {
		advance     time.Duration
		long, short []string
	}{
		{0, nil, nil},
		{2 * Day, nil, []string{"stage 1d"}},                          // short: 1d left; no 7d (issued inside it)
		{time.Hour, nil, []string{"stage 1d"}},                        // once only
		{Day, []string{"stage 7d"}, []string{"stage 1d", "stage 0d"}}, // long: <7d left; short expired
		{6 * Day, []string{"stage 7d", "stage 1d"}, []string{"stage 1d", "stage 0d"}},
		{2 * Day, []string{"stage 7d", "stage 1d", "stage 0d"}, []string{"stage 1d", "stage 0d"}},
	}
	for i, s := range steps {
		f.clk.Add(s.advance)
		sweep(t, f)
		sweep(t, f)
		if got := notices(t, f, long.Token.ID); !equal(got, s.long) {
			t.Errorf("step %d: long notices = %v, want %v", i, got, s.long)
		}
		if got := notices(t, f, short.Token.ID); !equal(got, s.short) {
			t.Errorf("step %d: short notices = %v, want %v", i, got, s.short)
		}
	}
	if got := notices(t, f, far.Token.ID); len(got) != 0 {
		t.Errorf("far notices = %v, want none", got)
	}
	for _, id := range []string{long.Token.ID, short.Token.ID} {
		tok, _ := f.m.Get(ctx, id)
		if tok.Valid || tok.InvalidReason != store.ReasonExpired {
			t.Errorf("token %s after expiry: valid=%v reason=%q", id, tok.Valid, tok.InvalidReason)
		}
		evs, _ := f.m.Events(ctx, id)
		if n := countKind(evs, store.EventExpired); n != 1 {
			t.Errorf("token %s: %d expired events, want 1", id, n)
		}
	}
	var types []string
	for _, n := range f.st.Outbox() {
		var p store.EventPayload
		if err := json.Unmarshal(n.Payload, &p); err != nil {
			t.Fatal(err)
		}
		want, prefix := store.NotifyExpiring, "expires on "
		if strings.HasPrefix(p.Reason, "expired on ") {
			want, prefix = store.NotifyExpired, "expired on "
		}
		if p.Type != want || !strings.HasPrefix(p.Reason, prefix) || p.Token.ExpiresAt == nil {
			t.Errorf("payload = %+v", p)
		}
		types = append(types, p.Type)
	}
	if got, want := len(types), 5; got != want {
		t.Errorf("%d expiring notifications, want %d", got, want)
	}
}

func TestSweepOneSecondToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "1s")
	f.clk.Add(2 * time.Second)
	v, err := f.m.Verify(ctx, is.Secret)
	if err != nil {
		t.Fatal(err)
	}
	want := "This API token expired on " + is.Token.ExpiresAt.Format(time.RFC3339)
	if v.Valid || v.Message != want {
		t.Errorf("before sweep: %v %q, want invalid %q", v.Valid, v.Message, want)
	}
	sweep(t, f)
	v, _ = f.m.Verify(ctx, is.Secret)
	if v.Valid || v.Message != want {
		t.Errorf("after sweep: %v %q, want invalid %q", v.Valid, v.Message, want)
	}
	if got := notices(t, f, is.Token.ID); !equal(got, []string{"stage 0d"}) {
		t.Errorf("notices = %v, want [stage 0d]", got)
	}
	if _, already, err := f.m.Revoke(ctx, RevokeRequest{ID: is.Token.ID, Reason: "r", Actor: "a"}); err != nil || !already {
		t.Errorf("revoking an expired token: already=%v err=%v, want already", already, err)
	}
}

func TestSweepAfterDowntimeSendsOnlyTheNarrowestNotice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "10d")
	f.clk.Add(4 * Day)
	sweep(t, f)
	f.clk.Add(5*Day + 12*time.Hour) // 12h left: the 1d stage only
	sweep(t, f)
	f.clk.Add(10 * Day) // long past expiry: the 0d stage only
	sweep(t, f)
	if got, want := notices(t, f, is.Token.ID), []string{"stage 7d", "stage 1d", "stage 0d"}; !equal(got, want) {
		t.Errorf("notices = %v, want %v", got, want)
	}
	g := newFixture(t, DefaultPolicy())
	is = g.issue(t, "10d")
	g.clk.Add(9*Day + 12*time.Hour) // both 7d and 1d due: only 1d
	sweep(t, g)
	if got, want := notices(t, g, is.Token.ID), []string{"stage 1d"}; !equal(got, want) {
		t.Errorf("notices = %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A token issued with less than a day to live still gets one
// token.expiring notice, at half its lifetime, and token.expired at its
// expiry.
func TestSweepShortLivedToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	tok := f.issue(t, "12h")
	steps := []struct {
		advance time.Duration
		want    []string
	}{
		{time.Hour, nil},
		{5 * time.Hour, []string{"stage 1d"}}, // half its life
		{time.Hour, []string{"stage 1d"}},     // once only
		{6 * time.Hour, []string{"stage 1d", "stage 0d"}},
	}
	for i, s := range steps {
		f.clk.Add(s.advance)
		sweep(t, f)
		if got := notices(t, f, tok.Token.ID); !equal(got, s.want) {
			t.Errorf("step %d: notices = %v, want %v", i, got, s.want)
		}
	}
	var types []string
	for _, n := range f.st.Outbox() {
		types = append(types, n.Type)
	}
	if len(types) != 2 || types[0] != store.NotifyExpiring || types[1] != store.NotifyExpired {
		t.Errorf("notifications %v, want token.expiring then token.expired", types)
	}
}

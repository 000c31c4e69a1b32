package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fixture is a Manager over a SQLite store in t.TempDir() with a test
// clock and a captured log.
type fixture struct {
	m   *Manager
	st  *testStore
	clk *clock
	log *bytes.Buffer
}

func newFixture(t *testing.T, p Policy) *fixture {
	t.Helper()
	f := &fixture{clk: newClock(), log: &bytes.Buffer{}}
	f.st = newTestStore(t, f.clk.Now)
	f.m = New(f.st, patterns.Default(), Options{Policy: p, Now: f.clk.Now, Logger: zerolog.New(&syncWriter{w: f.log})})
	t.Cleanup(func() { _ = f.m.Close() })
	return f
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (f *fixture) issue(t *testing.T, expires string) Issued {
	t.Helper()
	is, err := f.m.Issue(context.Background(), IssueRequest{Owner: "alice@example.org", Name: "ci", ExpiresIn: expires, Actor: "test", Source: "unit"})
	if err != nil {
		t.Fatalf("Issue(%q): %v", expires, err)
	}
	return is
}

func TestParseExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		d       time.Duration
		never   bool
		wantErr bool
	}{
		{"", 0, false, false},
		{"never", 0, true, false},
		{"NEVER", 0, true, false},
		{"1s", time.Second, false, false},
		{"24h", 24 * time.Hour, false, false},
		{"90d", 90 * Day, false, false},
		{" 7d ", 7 * Day, false, false},
		{"0s", 0, false, true},
		{"-1h", 0, false, true},
		{"0d", 0, false, true},
		{"-3d", 0, false, true},
		{"1.5d", 0, false, true},
		{"99999999d", 0, false, true},
		{"soon", 0, false, true},
		{"90", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, never, err := ParseExpiry(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseExpiry(%q) err = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if d != tt.d || never != tt.never {
				t.Errorf("ParseExpiry(%q) = %v, %v; want %v, %v", tt.in, d, never, tt.d, tt.never)
			}
		})
	}
}

func TestPolicyLifetime(t *testing.T) {
	t.Parallel()
	def := DefaultPolicy()
	tests := []struct {
		name   string
		p      Policy
		asked  string
		want   time.Duration
		wantIs error
	}{
		{"default applies", def, "", 90 * Day, nil},
		{"asked within max", def, "30d", 30 * Day, nil},
		{"one second", def, "1s", time.Second, nil},
		{"asked over max is capped", def, "1000d", 365 * Day, nil},
		{"asked hours over max is capped", def, "9000h", 365 * Day, nil},
		{"never refused", def, "never", 0, ErrPolicy},
		{"never allowed", Policy{DefaultExpiry: 90 * Day, AllowNever: true}, "never", 0, nil},
		{"never allowed still caps durations", Policy{DefaultExpiry: Day, MaxExpiry: 2 * Day, AllowNever: true}, "3d", 2 * Day, nil},
		{"default over max is capped", Policy{DefaultExpiry: 90 * Day, MaxExpiry: 30 * Day}, "", 30 * Day, nil},
		{"default never allowed", Policy{AllowNever: true, MaxExpiry: 30 * Day}, "", 0, nil},
		{"default never not allowed falls back to max", Policy{MaxExpiry: 30 * Day}, "", 30 * Day, nil},
		{"unparsable", def, "soon", 0, store.ErrInvalid},
		{"zero", def, "0s", 0, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.p.Lifetime(tt.asked)
			if !errors.Is(err, tt.wantIs) || (err != nil) != (tt.wantIs != nil) {
				t.Fatalf("Lifetime(%q) err = %v, want %v", tt.asked, err, tt.wantIs)
			}
			if got != tt.want {
				t.Errorf("Lifetime(%q) = %v, want %v", tt.asked, got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	if err := DefaultPolicy().Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v", err)
	}
	if err := (Policy{DefaultExpiry: 0, AllowNever: false}).Validate(); !errors.Is(err, ErrPolicy) {
		t.Errorf("never-by-default without allow: err = %v, want ErrPolicy", err)
	}
	if err := (Policy{DefaultExpiry: -time.Hour}).Validate(); !errors.Is(err, ErrPolicy) {
		t.Errorf("negative: err = %v, want ErrPolicy", err)
	}
}

func TestIssueAppliesPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       Policy
		expires string
		want    time.Duration // 0 = never
	}{
		{"default", DefaultPolicy(), "", 90 * Day},
		{"capped", DefaultPolicy(), "400d", 365 * Day},
		{"one second", DefaultPolicy(), "1s", time.Second},
		{"custom default", Policy{DefaultExpiry: 7 * Day, MaxExpiry: 10 * Day}, "", 7 * Day},
		{"never allowed", Policy{DefaultExpiry: Day, AllowNever: true}, "never", 0},
		{"zero policy is the default policy", Policy{}, "", 90 * Day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.p)
			is := f.issue(t, tt.expires)
			tok := is.Token
			switch {
			case tt.want == 0 && tok.ExpiresAt != nil:
				t.Errorf("ExpiresAt = %v, want never", tok.ExpiresAt)
			case tt.want != 0 && (tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(f.clk.Now().Add(tt.want))):
				t.Errorf("ExpiresAt = %v, want now+%v", tok.ExpiresAt, tt.want)
			}
			stored, err := f.m.Get(context.Background(), tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (stored.ExpiresAt == nil) != (tok.ExpiresAt == nil) {
				t.Errorf("stored ExpiresAt = %v, returned %v", stored.ExpiresAt, tok.ExpiresAt)
			}
		})
	}
}

func TestIssueRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	is := f.issue(t, "")
	plain := is.Secret.Reveal()
	fm, ok := f.m.Catalog().Issued(patterns.TypeUser)
	if !ok || !fm.Valid(plain) || !strings.HasPrefix(plain, "lgu_") {
		t.Fatalf("issued token is not a valid lgu_ token")
	}
	tok := is.Token
	if got, want := tok.Hash, patterns.HashToken(plain); got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if got, want := tok.Last4, plain[len(plain)-4:]; got != want {
		t.Errorf("Last4 = %s, want %s", got, want)
	}
	if tok.FormatID != fm.ID || tok.Type != "user" || !tok.Valid || tok.Owner != "alice@example.org" || tok.Name != "ci" {
		t.Errorf("token = %+v", tok)
	}
	evs, err := f.m.Events(context.Background(), tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != store.EventIssued || evs[0].Actor != "test" || evs[0].Source != "unit" {
		t.Errorf("events = %+v, want one issued event by test via unit", evs)
	}
	if strings.Contains(f.log.String(), plain) {
		t.Error("log contains the plaintext token")
	}
}

func TestIssueTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, DefaultPolicy())
	for typ, prefix := range patterns.DefaultPrefixes() {
		is, err := f.m.Issue(context.Background(), IssueRequest{Owner: "o", Name: "n", Type: typ})
		if err != nil {
			t.Fatalf("Issue(%s): %v", typ, err)
		}
		if !strings.HasPrefix(is.Secret.Reveal(), prefix) || is.Token.Type != typ {
			t.Errorf("Issue(%s): type %s, prefix wrong", typ, is.Token.Type)
		}
	}
}

func TestIssueRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		req    IssueRequest
		wantIs error
	}{
		{"no owner", IssueRequest{Name: "n"}, store.ErrInvalid},
		{"blank owner", IssueRequest{Owner: "  ", Name: "n"}, store.ErrInvalid},
		{"no name", IssueRequest{Owner: "o"}, store.ErrInvalid},
		{"unknown type", IssueRequest{Owner: "o", Name: "n", Type: "root"}, store.ErrInvalid},
		{"vendor type", IssueRequest{Owner: "o", Name: "n", Type: "github"}, store.ErrInvalid},
		{"long owner", IssueRequest{Owner: strings.Repeat("o", 201), Name: "n"}, store.ErrInvalid},
		{"bad expiry", IssueRequest{Owner: "o", Name: "n", ExpiresIn: "tomorrow"}, store.ErrInvalid},
		{"negative expiry", IssueRequest{Owner: "o", Name: "n", ExpiresIn: "-1h"}, store.ErrInvalid},
		{"never refused", IssueRequest{Owner: "o", Name: "n", ExpiresIn: "never"}, ErrPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, DefaultPolicy())
			_, err := f.m.Issue(context.Background(), tt.req)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Issue err = %v, want %v", err, tt.wantIs)
			}
			if n := len(f.st.Tokens()); n != 0 {
				t.Errorf("%d tokens stored after a refused issue", n)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		def, max   string
		allowNever bool
		want       Policy
		err        string
	}{
		{"90d", "365d", false, Policy{DefaultExpiry: 90 * Day, MaxExpiry: 365 * Day}, ""},
		{"", "365d", false, Policy{DefaultExpiry: time.Hour, MaxExpiry: 365 * Day}, ""},
		{"never", "", true, Policy{AllowNever: true}, ""},
		{"never", "", false, Policy{}, "never needs never to be allowed"},
		{"soon", "365d", false, Policy{}, "default expiry: "},
		{"1d", "lots", false, Policy{}, "max expiry: "},
	}
	for _, tt := range tests {
		p, err := ParsePolicy(tt.def, tt.max, tt.allowNever, time.Hour)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q %q: err %v, want %q", tt.def, tt.max, err, tt.err)
			}
			continue
		}
		if err != nil || p != tt.want {
			t.Errorf("%q %q: %+v %v, want %+v", tt.def, tt.max, p, err, tt.want)
		}
	}
}

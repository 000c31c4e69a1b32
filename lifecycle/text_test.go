package lifecycle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/postgres"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/store/storetest"
)

// dumpStore is a store that can write every row it holds.
type dumpStore interface {
	store.Store
	storetest.Dumper
}

// realStores are the adapters the text rules must hold on alike.
var realStores = []struct {
	name string
	open func(t *testing.T) dumpStore
}{
	{"sqlite", func(t *testing.T) dumpStore {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) dumpStore {
		dsn, schema := testenv.PostgresSchema(t)
		st, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}},
}

// logBuffer is a log sink safe for the Manager's background writer.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// textFixture is a Manager over a real store, with its log captured.
type textFixture struct {
	st  dumpStore
	m   *lifecycle.Manager
	log *logBuffer
}

func newTextFixture(t *testing.T, open func(t *testing.T) dumpStore) *textFixture {
	t.Helper()
	f := &textFixture{st: open(t), log: &logBuffer{}}
	f.m = lifecycle.New(f.st, patterns.Default(), lifecycle.Options{Logger: zerolog.New(f.log)})
	t.Cleanup(func() { _ = f.m.Close() })
	return f
}

// dump returns every stored row as text.
func (f *textFixture) dump(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := f.st.Dump(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sampleTokens is one true-positive sample of each format of the default
// catalog, by format id and prefix.
func sampleTokens() map[string]string {
	out := map[string]string{}
	for _, f := range patterns.Default().Formats() {
		for _, tp := range f.TruePositives {
			p, _, _ := f.Split(tp)
			out[f.ID+"/"+p] = tp
		}
	}
	return out
}

// TestPastedTokensAreRedacted pastes a token of every default format into
// every free-text field the Manager takes, on every store: the rows, what
// the Manager returns and its log hold "[REDACTED]" instead.
func TestPastedTokensAreRedacted(t *testing.T) {
	t.Parallel()
	for _, s := range realStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f := newTextFixture(t, s.open)
			ctx := context.Background()
			var returned []any
			for id, tok := range sampleTokens() {
				pasted := "pasted " + tok + " here"
				for _, field := range []string{"owner", "name", "actor", "source"} {
					req := lifecycle.IssueRequest{Owner: "o", Name: "n", Actor: "a", Source: "s"}
					switch field {
					case "owner":
						req.Owner = pasted
					case "name":
						req.Name = pasted
					case "actor":
						req.Actor = pasted
					case "source":
						req.Source = pasted
					}
					is, err := f.m.Issue(ctx, req)
					if err != nil {
						t.Fatalf("%s in %s: Issue: %v", id, field, err)
					}
					returned = append(returned, is.Token)
					if field == "owner" || field == "name" {
						if got := is.Token.Owner + is.Token.Name; !strings.Contains(got, patterns.Redacted) {
							t.Errorf("%s in %s: stored as %q, want it redacted", id, field, got)
						}
					}
					_, _, err = f.m.Revoke(ctx, lifecycle.RevokeRequest{ID: is.Token.ID, Reason: pasted, Actor: pasted, Source: pasted})
					if err != nil {
						t.Fatalf("%s: Revoke: %v", id, err)
					}
				}
				ts, err := f.m.List(ctx, store.ListFilter{Owner: pasted})
				if err != nil {
					t.Fatalf("%s: List: %v", id, err)
				}
				// Owners are stored redacted, and the filter is redacted alike:
				// it finds every token issued with a token pasted there.
				if len(ts) == 0 || ts[0].Owner != "pasted "+patterns.Redacted+" here" {
					t.Errorf("%s: List(owner with the token) = %d tokens, want those issued with it", id, len(ts))
				}
				returned = append(returned, ts)
			}
			_ = f.m.Close()
			out, _ := json.Marshal(returned)
			rows := f.dump(t)
			for id, tok := range sampleTokens() {
				for where, text := range map[string]string{"store rows": rows, "log": f.log.String(), "returned tokens": string(out)} {
					if strings.Contains(text, tok) {
						t.Errorf("%s: the %s hold the plaintext token", id, where)
					}
				}
			}
		})
	}
}

// textCase is a value of a class the Manager refuses in a field.
type textCase struct {
	name, value, names string
}

// refusedText are the classes refused in every field the Manager takes
// from a person: owner, name, reason, list filters, ids.
func refusedText() []textCase {
	return []textCase{
		{"NUL", "a\x00b", "U+0000"},
		{"invalid UTF-8", "a\xffb", ""},
		{"surrogate half", "a\xed\xa0\x80b", ""},
		{"ESC", "a\x1b[2Jb", "U+001B"},
		{"BEL", "a\ab", "U+0007"},
		{"CR", "a\rb", "U+000D"},
		{"LF", "a\nb", "U+000A"},
		{"TAB", "a\tb", "U+0009"},
		{"DEL", "a\x7fb", "U+007F"},
		{"C1", "a\u0085b", "U+0085"},
		{"RLO", "a\u202eb", "U+202E"},
		{"LRI", "a\u2066b", "U+2066"},
		{"paragraph separator", "a\u2029b", "U+2029"},
	}
}

// TestBadTextIsInvalidOnEveryStore holds every store to one answer for
// text PostgreSQL cannot store (NUL, invalid UTF-8) and text the Manager
// refuses (control and bidi characters, oversize values): ErrInvalid,
// naming the field, quoting nothing, before any write.
func TestBadTextIsInvalidOnEveryStore(t *testing.T) {
	t.Parallel()
	for _, s := range realStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f := newTextFixture(t, s.open)
			ctx := context.Background()
			victim, err := f.m.Issue(ctx, lifecycle.IssueRequest{Owner: "o", Name: "n", Actor: "a", Source: "s"})
			if err != nil {
				t.Fatal(err)
			}
			ops := []struct {
				field string
				run   func(v string) error
			}{
				{"owner", func(v string) error {
					_, err := f.m.Issue(ctx, lifecycle.IssueRequest{Owner: v, Name: "n", Actor: "a", Source: "s"})
					return err
				}},
				{"name", func(v string) error {
					_, err := f.m.Issue(ctx, lifecycle.IssueRequest{Owner: "o", Name: v, Actor: "a", Source: "s"})
					return err
				}},
				{"expires_in", func(v string) error {
					_, err := f.m.Issue(ctx, lifecycle.IssueRequest{Owner: "o", Name: "n", ExpiresIn: v, Actor: "a"})
					return err
				}},
				{"reason", func(v string) error {
					_, _, err := f.m.Revoke(ctx, lifecycle.RevokeRequest{ID: victim.Token.ID, Reason: v, Actor: "a"})
					return err
				}},
				{"id", func(v string) error {
					_, _, err := f.m.Revoke(ctx, lifecycle.RevokeRequest{ID: v, Reason: "r", Actor: "a"})
					return err
				}},
				{"owner", func(v string) error { _, err := f.m.List(ctx, store.ListFilter{Owner: v}); return err }},
				{"cursor", func(v string) error { _, err := f.m.List(ctx, store.ListFilter{After: v}); return err }},
				{"state", func(v string) error { _, err := f.m.List(ctx, store.ListFilter{State: leakguard.State(v)}); return err }},
				{"id", func(v string) error { _, err := f.m.Get(ctx, v); return err }},
				{"id", func(v string) error { _, err := f.m.Events(ctx, v); return err }},
			}
			long := textCase{"too long", strings.Repeat("x", 1001), ""}
			for i, op := range ops {
				for _, c := range append(refusedText(), long) {
					err := op.run(c.value)
					if !errors.Is(err, store.ErrInvalid) {
						t.Errorf("op %d (%s) %s: err = %v, want ErrInvalid", i, op.field, c.name, err)
						continue
					}
					msg := err.Error()
					if !strings.Contains(msg, op.field) || !strings.Contains(msg, c.names) || strings.Contains(msg, c.value) {
						t.Errorf("op %d (%s) %s: message %q must name the field and %s and quote nothing", i, op.field, c.name, msg, c.names)
					}
				}
			}
			if v, err := f.m.Verify(ctx, victim.Secret); err != nil || !v.Valid {
				t.Errorf("victim after refused revokes: %+v, %v; want still valid", v, err)
			}
			if ts, err := f.m.List(ctx, store.ListFilter{}); err != nil || len(ts) != 1 {
				t.Errorf("List = %d tokens, %v; want only the victim (nothing refused was stored)", len(ts), err)
			}
		})
	}
}

// TestStoreGuardRefusesBadText calls the adapters directly, as a caller
// other than the Manager might: each refuses the same text with
// ErrInvalid, stores nothing, and keeps what the revoker writes.
func TestStoreGuardRefusesBadText(t *testing.T) {
	t.Parallel()
	for _, s := range realStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			st := s.open(t)
			ctx := context.Background()
			f, _ := patterns.Default().Issued(patterns.TypeUser)
			newToken := func(owner string) *store.Token {
				sec, err := f.Generate(nil)
				if err != nil {
					t.Fatal(err)
				}
				id, _ := store.RandomID("tok_")
				return &store.Token{ID: id, Hash: sec.Hash(), Type: "user", FormatID: f.ID, Owner: owner, Name: "n",
					Last4: sec.Last4(), Valid: true}
			}
			good := newToken("o")
			if err := st.CreateToken(ctx, good, store.Event{}); err != nil {
				t.Fatal(err)
			}
			for _, c := range refusedText() {
				if err := st.CreateToken(ctx, newToken(c.value), store.Event{}); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("CreateToken(owner %s) err = %v, want ErrInvalid", c.name, err)
				}
				if _, err := st.ListTokens(ctx, store.ListFilter{Owner: c.value}); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("ListTokens(owner %s) err = %v, want ErrInvalid", c.name, err)
				}
			}
			for _, c := range refusedText()[:9] { // NUL to DEL: no free text holds them either
				ev := store.Event{TokenID: good.ID, Kind: store.EventVerifiedInvalid, Detail: c.value}
				if err := st.AppendEvent(ctx, ev); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("AppendEvent(detail %s) err = %v, want ErrInvalid", c.name, err)
				}
				req := store.RevokeRequest{ID: good.ID, Reason: c.value}
				if _, _, err := st.Revoke(ctx, req); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("Revoke(reason %s) err = %v, want ErrInvalid", c.name, err)
				}
			}
			// A leak in a file whose name holds bidi or C1 characters must
			// still be revocable: free text keeps them.
			odd := "leaked: git src/\u202eevil\u009b.go:3"
			if _, _, err := st.Revoke(ctx, store.RevokeRequest{ID: good.ID, Reason: odd, Kind: store.EventLeakReported}); err != nil {
				t.Errorf("Revoke(reason with a bidi path) = %v, want it revoked", err)
			}
			ts, err := st.ListTokens(ctx, store.ListFilter{})
			if err != nil || len(ts) != 1 {
				t.Errorf("ListTokens = %d, %v; want only the good token", len(ts), err)
			}
		})
	}
}

package tokencli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook"
)

// terminalUnsafe returns the first rune of s, other than the newlines that
// end its lines, that would reach a terminal as a control: a C0 or C1
// control, DEL, a bidi or other invisible format character, or invalid
// UTF-8 (as U+FFFD).
func terminalUnsafe(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r >= 0x7f && r < 0xa0, r == utf8.RuneError,
			unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return r, true
		}
	}
	return 0, false
}

// hostileToken is a token whose id, owner, name and reason carry escape
// sequences, CR/LF and bidi overrides: values from whoever called the API
// or the CLI, or from rows written before the store checked them.
func hostileToken(now time.Time) *store.Token {
	at := now.Add(-time.Hour)
	return &store.Token{
		ID: "tok_1\x1b[0m", Type: "user", Owner: "eve\x1b[2J\x1b]0;pwned\a\u202eexe.txt",
		Name:  "ci\r\ntok_2  user  alice  ci  0000  active",
		Last4: "AAAA", CreatedAt: at, InvalidAt: &at, InvalidReason: "leaked\x1b[8m hidden \u2066text\u2069\u009b0m",
	}
}

// TestTextEscapesControls: escape sequences, CR/LF and bidi overrides in
// stored values must not reach the operator's terminal raw, where they
// could forge table rows or hide text.
func TestTextEscapesControls(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tok := hostileToken(now)
	text := Output{}
	tests := []struct {
		name  string
		write func(w io.Writer) error
		lines int
	}{
		{"list table", func(w io.Writer) error { return WriteList(w, text, []*store.Token{tok, tok}, now) }, 3},
		{"verify valid", func(w io.Writer) error {
			return WriteVerify(w, text, Verify{VerifyAnswer: webhook.VerifyAnswer{Valid: true, ID: tok.ID, Owner: tok.Owner, Type: tok.Type}})
		}, 1},
		{"revoke, already invalid", func(w io.Writer) error { return WriteRevoke(w, text, tok, true, now) }, 1},
		{"issue note", func(w io.Writer) error { IssueNote(w, tok, "", lifecycle.Policy{}); return nil }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := tt.write(&buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if r, bad := terminalUnsafe(out); bad {
				t.Errorf("raw %U in %q", r, out)
			}
			if got, want := strings.Count(out, "\n"), tt.lines; got != want {
				t.Errorf("%d lines, want %d: %q", got, want, out)
			}
		})
	}
}

// TestJSONKeepsValues: JSON answers carry the stored values as they are.
func TestJSONKeepsValues(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tok := hostileToken(now)
	var buf bytes.Buffer
	if err := WriteList(&buf, Output{JSON: true}, []*store.Token{tok}, now); err != nil {
		t.Fatal(err)
	}
	var rec lifecycle.Record
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec.Owner != tok.Owner || rec.Name != tok.Name || rec.InvalidReason != tok.InvalidReason {
		t.Errorf("json %s (%v), want the raw owner, name and reason", buf.Bytes(), err)
	}
}

// TestWrite checks each answer's exact text and JSON.
func TestWrite(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	exp := now.Add(24 * time.Hour)
	active := &store.Token{ID: "tok_a", Type: "service", Owner: "alice", Name: "ci", Last4: "WXYZ", Valid: true, CreatedAt: now, ExpiresAt: &exp}
	valid := Verify{VerifyAnswer: webhook.VerifyAnswer{Valid: true, ID: "tok_a", Owner: "alice", Type: "service", ExpiresAt: &exp,
		Scopes: []string{}}, State: "active"}
	scoped := *active
	scoped.Scopes = []string{"deploy:prod", "read"}
	tests := []struct {
		name  string
		write func(w io.Writer) error
		want  string
	}{
		{"verify valid", func(w io.Writer) error { return WriteVerify(w, Output{}, valid) },
			"valid: tok_a (service, owner alice, expires 2025-06-02T12:00:00Z)\n"},
		{"verify never expires", func(w io.Writer) error {
			v := valid
			v.ExpiresAt = nil
			return WriteVerify(w, Output{}, v)
		}, "valid: tok_a (service, owner alice, never expires)\n"},
		{"verify with scopes", func(w io.Writer) error {
			v := valid
			v.Scopes = scoped.Scopes
			return WriteVerify(w, Output{}, v)
		}, "valid: tok_a (service, owner alice, scopes deploy:prod read, expires 2025-06-02T12:00:00Z)\n"},
		{"verify json with scopes", func(w io.Writer) error {
			return WriteVerify(w, Output{JSON: true}, NewVerify(lifecycle.Verification{Valid: true, Token: &scoped}, now))
		}, `{"valid":true,"id":"tok_a","owner":"alice","type":"service","scopes":["deploy:prod","read"],"expires_at":"2025-06-02T12:00:00Z","invalid_at":null,"state":"active"}` + "\n"},
		{"verify json unknown", func(w io.Writer) error {
			return WriteVerify(w, Output{JSON: true}, NewVerify(lifecycle.Verification{Message: lifecycle.MsgUnknown}, now))
		}, `{"valid":false,"scopes":[],"expires_at":null,"invalid_at":null,"message":"unknown token"}` + "\n"},
		{"verify quiet", func(w io.Writer) error { return WriteVerify(w, Output{Quiet: true}, valid) }, ""},
		{"verify invalid", func(w io.Writer) error {
			return WriteVerify(w, Output{}, Verify{VerifyAnswer: webhook.VerifyAnswer{Message: "revoked"}})
		}, ""},
		{"verify json", func(w io.Writer) error { return WriteVerify(w, Output{JSON: true, Quiet: true}, valid) },
			`{"valid":true,"id":"tok_a","owner":"alice","type":"service","scopes":[],"expires_at":"2025-06-02T12:00:00Z","invalid_at":null,"state":"active"}` + "\n"},
		{"revoke", func(w io.Writer) error { return WriteRevoke(w, Output{}, active, false, now) }, "revoked: tok_a\n"},
		{"revoke quiet", func(w io.Writer) error { return WriteRevoke(w, Output{Quiet: true}, active, false, now) }, ""},
		{"revoke json", func(w io.Writer) error { return WriteRevoke(w, Output{JSON: true}, active, true, now) },
			`{"id":"tok_a","revoked":true,"already_revoked":true}` + "\n"},
		{"list table", func(w io.Writer) error { return WriteList(w, Output{}, []*store.Token{active, &scoped}, now) },
			"ID     TYPE     OWNER  NAME  LAST4  STATE   EXPIRES               LAST USED  SCOPES\n" +
				"tok_a  service  alice  ci    WXYZ   active  2025-06-02T12:00:00Z  -          -\n" +
				"tok_a  service  alice  ci    WXYZ   active  2025-06-02T12:00:00Z  -          deploy:prod,read\n"},
		{"list json", func(w io.Writer) error { return WriteList(w, Output{JSON: true}, []*store.Token{&scoped}, now) },
			`{"id":"tok_a","owner":"alice","name":"ci","type":"service","last4":"WXYZ","created_at":"2025-06-01T12:00:00Z",` +
				`"expires_at":"2025-06-02T12:00:00Z","last_used_at":null,"state":"active","invalid_at":null,"invalid_reason":"",` +
				`"scopes":["deploy:prod","read"]}` + "\n"},
		{"issue note with scopes", func(w io.Writer) error {
			IssueNote(w, &scoped, "", lifecycle.Policy{MaxExpiry: 365 * lifecycle.Day})
			return nil
		}, "leakguard: issued service token tok_a for alice (expires 2025-06-02T12:00:00Z, scopes deploy:prod read); it is shown only once\n"},
		{"issue note", func(w io.Writer) error {
			IssueNote(w, active, "400d", lifecycle.Policy{MaxExpiry: 365 * lifecycle.Day})
			return nil
		}, "leakguard: issued service token tok_a for alice (expires 2025-06-02T12:00:00Z); it is shown only once\n" +
			"leakguard: asked expiry 400d capped to 365d by --max-expiry\n"},
		{"issue note, never", func(w io.Writer) error {
			t := *active
			t.ExpiresAt = nil
			IssueNote(w, &t, "never", lifecycle.Policy{MaxExpiry: 365 * lifecycle.Day})
			return nil
		}, "leakguard: issued service token tok_a for alice (never expires); it is shown only once\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := tt.write(&buf); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), tt.want; got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestReadToken: one token, whitespace trimmed, at most MaxInput+1 bytes
// read; no input at all is ErrNoInput.
func TestReadToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      io.Reader
		wantLen int
		wantErr error
	}{
		{"trimmed", strings.NewReader("  lgu_abc \n"), len("lgu_abc"), nil},
		{"empty", strings.NewReader(""), 0, nil},
		{"capped", strings.NewReader(strings.Repeat("a", 2*MaxInput)), MaxInput + 1, nil},
		{"no stdin", nil, 0, ErrNoInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sec, err := ReadToken(context.Background(), tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if got, want := len(sec.Reveal()), tt.wantLen; got != want {
				t.Errorf("read %d bytes, want %d", got, want)
			}
		})
	}
}

// TestScopeFlags: --scope is repeatable and keeps the order given.
func TestScopeFlags(t *testing.T) {
	t.Parallel()
	var s ScopeFlags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Var(&s, "scope", "")
	if err := fs.Parse([]string{"--scope", "write", "--scope=read"}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "write,read"; got != want {
		t.Errorf("scopes = %q, want %q", got, want)
	}
}

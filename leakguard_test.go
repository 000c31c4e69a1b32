package leakguard_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
)

func TestParseHash(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"lower hex", good, true},
		{"upper hex", strings.ToUpper(good), false},
		{"short", good[:63], false},
		{"long", good + "0", false},
		{"empty", "", false},
		{"plaintext token", "lgu_" + good[:36], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := leakguard.ParseHash(tt.in)
			if got := err == nil; got != tt.ok {
				t.Fatalf("ParseHash ok = %v, want %v (err %v)", got, tt.ok, err)
			}
			if err != nil {
				if !errors.Is(err, leakguard.ErrBadHash) || strings.Contains(err.Error(), tt.in) && tt.in != "" {
					t.Errorf("error %q must be ErrBadHash and not quote the input", err)
				}
				return
			}
			if got, want := h.Short(), tt.in[:12]; got != want {
				t.Errorf("Short = %q, want %q", got, want)
			}
		})
	}
}

func TestShortHash(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"abc": "abc", strings.Repeat("a", 64): strings.Repeat("a", 12)} {
		if got := leakguard.ShortHash(in); got != want {
			t.Errorf("ShortHash(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseState(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"active", "revoked", "expired", "unknown"} {
		if st, err := leakguard.ParseState(s); err != nil || string(st) != s {
			t.Errorf("ParseState(%q) = %q, %v", s, st, err)
		}
	}
	if _, err := leakguard.ParseState("Active"); err == nil {
		t.Error("ParseState(Active) accepted")
	}
}

func TestSources(t *testing.T) {
	t.Parallel()
	for _, s := range leakguard.Sources() {
		if !s.Known() {
			t.Errorf("%s not Known", s)
		}
	}
	if leakguard.Source("github-webhook").Scanned() || !leakguard.Source("git").Scanned() {
		t.Error("Scanned: webhook sources are not a scanner's, git is")
	}
	if leakguard.Source("nope").Known() {
		t.Error("unknown source Known")
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(strings.Repeat("a", 64))
	f.Add("lgu_x")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := leakguard.ParseHash(s)
		if err != nil {
			return
		}
		if len(h) != 64 || strings.Trim(string(h), "0123456789abcdef") != "" {
			t.Fatalf("accepted %q", s)
		}
	})
}

package leakguard

import (
	"errors"
	"strings"
	"testing"
)

func TestParseScopes(t *testing.T) {
	t.Parallel()
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "s" + strings.Repeat("x", i)
		}
		return out
	}
	tests := []struct {
		name    string
		in      []string
		want    string // sorted, space-joined
		wantErr string
	}{
		{"none", nil, "", ""},
		{"empty list", []string{}, "", ""},
		{"sorted bytewise", []string{"write", "Read", "deploy:prod", "repo/acme-app", "v1.2"}, "Read deploy:prod repo/acme-app v1.2 write", ""},
		{"longest", []string{strings.Repeat("a", MaxScopeLen)}, strings.Repeat("a", MaxScopeLen), ""},
		{"most", many(MaxScopes), strings.Join(many(MaxScopes), " "), ""},
		{"too long", []string{strings.Repeat("a", MaxScopeLen+1)}, "", "1 to 64 characters"},
		{"too many", many(MaxScopes + 1), "", "at most 32 scopes"},
		{"empty scope", []string{"read", ""}, "", "scope 2: invalid scope"},
		{"duplicate", []string{"read", "write", "read"}, "", `"read" given twice`},
		{"comma", []string{"read,write"}, "", "invalid scope"},
		{"space", []string{" read"}, "", "invalid scope"},
		{"underscore", []string{"read_all"}, "", "invalid scope"},
		{"leading colon", []string{":read"}, "", "starts with a letter or digit"},
		{"non-ASCII", []string{"écrire"}, "", "invalid scope"},
		{"NUL", []string{"read\x00"}, "", "invalid scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseScopes(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBadScope) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseScopes err = %v, want ErrBadScope with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); g != tt.want || (got == nil) != (len(tt.in) == 0) {
				t.Errorf("ParseScopes = %#v, want %q", got, tt.want)
			}
		})
	}
	in := []string{"b", "a"}
	if _, _ = ParseScopes(in); in[0] != "b" {
		t.Error("ParseScopes sorted its argument in place")
	}
}

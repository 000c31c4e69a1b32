package lifecycle

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// scopeFixture is newFixture with an allow-list of scopes (nil: any).
func scopeFixture(t *testing.T, allowed []string) *fixture {
	t.Helper()
	f := &fixture{clk: newClock()}
	f.st = newTestStore(t, f.clk.Now)
	f.m = New(f.st, patterns.Default(), Options{Now: f.clk.Now, Logger: zerolog.Nop(), AllowedScopes: allowed})
	t.Cleanup(func() { _ = f.m.Close() })
	return f
}

func TestIssueScopes(t *testing.T) {
	t.Parallel()
	glToken := "glpat-bGVha2d1YXJkLXNhbXBsZW86MQp1OjIH.01.0w0bvdja3" // a GitLab token: all scope characters
	tests := []struct {
		name    string
		allowed []string // nil: any
		asked   []string
		want    string // sorted, space-joined; "" for none
		wantErr string // substring of the error (store.ErrInvalid)
	}{
		{"none", nil, nil, "", ""},
		{"sorted and trimmed", nil, []string{" write", "read ", "deploy:prod"}, "deploy:prod read write", ""},
		{"case-sensitive", nil, []string{"read", "Read"}, "Read read", ""},
		{"twice after trimming", nil, []string{"read", " read"}, "", `"read" given twice`},
		{"bad character", nil, []string{"read all"}, "", "scope 1: invalid scope"},
		{"empty", nil, []string{""}, "", "invalid scope"},
		{"too many", nil, strings.Fields(strings.Repeat("a ", 33)), "", "at most 32 scopes"},
		{"a token", nil, []string{glToken}, "", "looks like a token"},
		{"allowed", []string{"read", "write"}, []string{"write"}, "write", ""},
		{"not allowed", []string{"read", "write"}, []string{"read", "admin"}, "", `scope "admin" is not allowed (allowed: read, write)`},
		{"none allowed, none asked", []string{}, nil, "", ""},
		{"none allowed", []string{}, []string{"read"}, "", "(allowed: none)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := scopeFixture(t, tt.allowed)
			is, err := f.m.Issue(ctx, IssueRequest{Owner: "o", Name: "n", Scopes: tt.asked, Actor: "a", Source: "unit"})
			if tt.wantErr != "" {
				if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Issue err = %v, want ErrInvalid with %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), glToken) {
					t.Errorf("error quotes the token: %v", err)
				}
				if ts, _ := f.m.List(ctx, store.ListFilter{Owner: "o"}); len(ts) != 0 {
					t.Errorf("a refused issue stored %d tokens", len(ts))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(is.Token.Scopes, " "); got != tt.want {
				t.Errorf("issued scopes %q, want %q", got, tt.want)
			}
			v, err := f.m.Verify(ctx, is.Secret)
			if err != nil || !v.Valid || strings.Join(v.Token.Scopes, " ") != tt.want {
				t.Errorf("Verify = %+v, %v; want valid with scopes %q", v, err, tt.want)
			}
			if got := strings.Join(NewRecord(v.Token, f.m.Now()).Scopes, " "); got != tt.want {
				t.Errorf("record scopes %q, want %q", got, tt.want)
			}
			evs, err := f.m.Events(ctx, is.Token.ID)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Events = %+v, %v", evs, err)
			}
			if wantDetail := "scopes " + tt.want; (tt.want != "") != strings.HasSuffix(evs[0].Detail, "; "+wantDetail) {
				t.Errorf("issued event detail %q, want it to end with %q only when there are scopes", evs[0].Detail, wantDetail)
			}
		})
	}
}

func TestListByScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := scopeFixture(t, nil)
	issue := func(scopes ...string) string {
		is, err := f.m.Issue(ctx, IssueRequest{Owner: "o", Name: "n", Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return is.Token.ID
	}
	read, readAll := issue("read", "write"), issue("read-all")
	issue()
	tests := []struct {
		scope   string
		want    []string
		wantErr bool
	}{
		{"read", []string{read}, false},
		{" read ", []string{read}, false},
		{"read-all", []string{readAll}, false},
		{"rea", nil, false},
		{"read,write", nil, true},
		{"read all", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			ts, err := f.m.List(ctx, store.ListFilter{Scope: tt.scope})
			if tt.wantErr {
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("List(scope %q) err = %v, want ErrInvalid", tt.scope, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tok := range ts {
				got = append(got, tok.ID)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("List(scope %q) = %q, want %q", tt.scope, got, tt.want)
			}
		})
	}
}

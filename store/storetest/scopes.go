package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// testScopes: scopes come back from every look-up sorted, each once, nil
// for none, and survive a revocation (the cache rewrites its entry).
func testScopes(t *testing.T, h *harness) {
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, nil},
		{"empty", []string{}, nil},
		{"one", []string{"read"}, []string{"read"}},
		{"sorted on create", []string{"write", "deploy:prod", "Read", "read", "repo/acme-app"},
			[]string{"Read", "deploy:prod", "read", "repo/acme-app", "write"}},
		{"at most", maxScopes(), sortStrings(maxScopes())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := h.create(withScopes(c.in...))
			want := *tok
			want.Scopes = c.want
			byHash, err := h.s.TokenByHash(h.ctx, tok.Hash)
			if err != nil {
				t.Fatal(err)
			}
			assertToken(t, byHash, &want)
			assertToken(t, h.byID(tok.ID), &want)
			again, err := h.s.TokenByHash(h.ctx, tok.Hash) // a cache's hit
			if err != nil {
				t.Fatal(err)
			}
			assertToken(t, again, &want)
			rev, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: tok.ID, Reason: "rotated", At: after(time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			if !sameScopes(rev.Scopes, c.want) {
				t.Errorf("Revoke returned scopes %q, want %q", rev.Scopes, c.want)
			}
			if got := h.byID(tok.ID); !sameScopes(got.Scopes, c.want) || got.Valid {
				t.Errorf("after revoke: valid=%v scopes %q, want invalid with %q", got.Valid, got.Scopes, c.want)
			}
		})
	}
}

// maxScopes is leakguard.MaxScopes distinct scopes of the longest length,
// unsorted.
func maxScopes() []string {
	out := make([]string, 0, leakguard.MaxScopes)
	for i := leakguard.MaxScopes; i > 0; i-- {
		s := fmt.Sprintf("s%02d-", i)
		out = append(out, s+strings.Repeat("x", leakguard.MaxScopeLen-len(s)))
	}
	return out
}

func sameScopes(a, b []string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b) && (a == nil) == (len(b) == 0)
}

// testScopesInvalid: a token with scopes breaking the rule is refused
// (ErrInvalid) and nothing is written.
func testScopesInvalid(t *testing.T, h *harness) {
	cases := map[string][]string{
		"empty scope":    {""},
		"duplicate":      {"read", "write", "read"},
		"comma":          {"read,write"},
		"space":          {"read write"},
		"quote":          {`read"`},
		"underscore":     {"read_all"},
		"leading dash":   {"-read"},
		"too long":       {strings.Repeat("a", leakguard.MaxScopeLen+1)},
		"too many":       append(maxScopes(), "one-more"),
		"non-ascii":      {"lecture-é"},
		"control":        {"read\x00"},
		"leading period": {".read"},
	}
	for name, scopes := range cases {
		tok, _ := h.newToken(withScopes(scopes...))
		err := h.s.CreateToken(h.ctx, tok, store.Event{Kind: store.EventIssued, At: base()})
		if !isErr(err, store.ErrInvalid) {
			t.Errorf("%s: CreateToken err = %v, want ErrInvalid", name, err)
		}
	}
	if got, err := h.s.ListTokens(h.ctx, store.ListFilter{}); err != nil || len(got) != 0 {
		t.Errorf("ListTokens after invalid creates = %d tokens, %v; want none", len(got), err)
	}
}

// testListByScope: the scope filter matches whole scopes exactly, never a
// part of one, and combines with the other filters and pagination.
func testListByScope(t *testing.T, h *harness) {
	read := h.create(withOwner("a"), withScopes("read"))
	readWrite := h.create(withOwner("b"), withScopes("write", "read"))
	readAll := h.create(withOwner("a"), withScopes("read-all", "xread", "read:x"))
	upper := h.create(withOwner("a"), withScopes("READ"))
	h.create(withOwner("a")) // no scopes
	revoked := h.create(withOwner("a"), withScopes("read", "admin"))
	if _, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: revoked.ID, Reason: "leaked", At: base()}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		f    store.ListFilter
		want []string
	}{
		{store.ListFilter{Scope: "read"}, sortStrings([]string{read.ID, readWrite.ID, revoked.ID})},
		{store.ListFilter{Scope: "write"}, []string{readWrite.ID}},
		{store.ListFilter{Scope: "read-all"}, []string{readAll.ID}},
		{store.ListFilter{Scope: "READ"}, []string{upper.ID}},
		{store.ListFilter{Scope: "rea"}, nil},
		{store.ListFilter{Scope: "read-"}, nil},
		{store.ListFilter{Scope: "nothing"}, nil},
		{store.ListFilter{Scope: "read", Owner: "a"}, sortStrings([]string{read.ID, revoked.ID})},
		{store.ListFilter{Scope: "read", State: leakguard.StateActive, Now: base()}, sortStrings([]string{read.ID, readWrite.ID})},
		{store.ListFilter{Scope: "read", State: leakguard.StateRevoked, Now: base()}, []string{revoked.ID}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", c.f.Scope, c.f.Owner, c.f.State), func(t *testing.T) {
			got, err := h.s.ListTokens(h.ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprint(tokenIDs(got)), fmt.Sprint(c.want); g != w {
				t.Errorf("ListTokens(%+v) =\n %s, want\n %s", c.f, g, w)
			}
			for _, tok := range got {
				if !leakguard.HasScope(tok.Scopes, c.f.Scope) {
					t.Errorf("token %s listed for scope %q has %q", tok.ID, c.f.Scope, tok.Scopes)
				}
			}
		})
	}
	var paged []string
	f := store.ListFilter{Scope: "read", Limit: 1}
	for i := 0; i < 5; i++ {
		page, err := h.s.ListTokens(h.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page[0].ID)
		f.After = page[0].ID
	}
	if g, w := fmt.Sprint(paged), fmt.Sprint(sortStrings([]string{read.ID, readWrite.ID, revoked.ID})); g != w {
		t.Errorf("paged by scope = %s, want %s", g, w)
	}
	for _, bad := range []string{"read,write", "a b", "x'", "read%", "_"} {
		if _, err := h.s.ListTokens(h.ctx, store.ListFilter{Scope: bad}); !isErr(err, store.ErrInvalid) {
			t.Errorf("ListTokens(scope %q) err = %v, want ErrInvalid", bad, err)
		}
	}
}

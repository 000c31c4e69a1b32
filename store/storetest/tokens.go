package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

func testCreateAndLookup(t *testing.T, h *harness) {
	want := h.create(withExpiry(after(90 * 24 * time.Hour)))
	byHash, err := h.s.TokenByHash(h.ctx, want.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	assertToken(t, byHash, want)
	assertToken(t, h.byID(want.ID), want)
	if got, want := byHash.State(base()), leakguard.StateActive; got != want {
		t.Errorf("state = %s, want %s", got, want)
	}
	evs := h.events(want.ID)
	if len(evs) != 1 || evs[0].Kind != store.EventIssued || !evs[0].At.Equal(base()) ||
		evs[0].Actor != "admin" || evs[0].Source != "test" || evs[0].TokenID != want.ID {
		t.Errorf("events after create = %+v, want one issued event", evs)
	}
	other, _ := h.newToken()
	if _, err := h.s.TokenByHash(h.ctx, other.Hash); !isErr(err, store.ErrNotFound) {
		t.Errorf("TokenByHash(unknown) err = %v, want ErrNotFound", err)
	}
	if _, err := h.s.TokenByID(h.ctx, "tok_unknown"); !isErr(err, store.ErrNotFound) {
		t.Errorf("TokenByID(unknown) err = %v, want ErrNotFound", err)
	}
}

func testCreateConflict(t *testing.T, h *harness) {
	first := h.create()
	sameID, _ := h.newToken()
	sameID.ID = first.ID
	sameHash, _ := h.newToken()
	sameHash.Hash = first.Hash
	for name, tok := range map[string]*store.Token{"same id": sameID, "same hash": sameHash} {
		err := h.s.CreateToken(h.ctx, tok, store.Event{Kind: store.EventIssued, At: base()})
		if !isErr(err, store.ErrConflict) {
			t.Errorf("%s: CreateToken err = %v, want ErrConflict", name, err)
		}
	}
	if _, err := h.s.TokenByHash(h.ctx, sameID.Hash); !isErr(err, store.ErrNotFound) {
		t.Errorf("conflicting token was stored (err %v)", err)
	}
	if evs := h.events(first.ID); len(evs) != 1 {
		t.Errorf("events after conflicts = %d, want 1 (nothing written)", len(evs))
	}
	assertToken(t, h.byID(first.ID), first)
}

func testCreateInvalid(t *testing.T, h *harness) {
	cases := []struct {
		name string
		mod  func(tok *store.Token, plain string)
	}{
		{"no id", func(tok *store.Token, _ string) { tok.ID = "" }},
		{"no hash", func(tok *store.Token, _ string) { tok.Hash = "" }},
		{"plaintext as hash", func(tok *store.Token, plain string) { tok.Hash = plain }},
		{"upper-case hash", func(tok *store.Token, _ string) { tok.Hash = strings.ToUpper(tok.Hash) }},
		{"short hash", func(tok *store.Token, _ string) { tok.Hash = tok.Hash[:63] }},
		{"no type", func(tok *store.Token, _ string) { tok.Type = "" }},
		{"no owner", func(tok *store.Token, _ string) { tok.Owner = "" }},
	}
	for _, c := range cases {
		tok, sec := h.newToken()
		c.mod(tok, sec.Reveal())
		err := h.s.CreateToken(h.ctx, tok, store.Event{Kind: store.EventIssued, At: base()})
		if !isErr(err, store.ErrInvalid) {
			t.Errorf("%s: CreateToken err = %v, want ErrInvalid", c.name, err)
		}
		if err != nil && strings.Contains(err.Error(), sec.Reveal()) {
			t.Errorf("%s: error message contains the plaintext token", c.name)
		}
	}
	if got, err := h.s.ListTokens(h.ctx, store.ListFilter{}); err != nil || len(got) != 0 {
		t.Errorf("ListTokens after invalid creates = %d tokens, %v; want none", len(got), err)
	}
}

func testOptionalTimes(t *testing.T, h *harness) {
	never := h.create()
	full := h.create(withExpiry(after(time.Hour)), withLastUsed(after(time.Minute)), withCreated(after(-time.Second)))
	assertToken(t, h.byID(never.ID), never)
	assertToken(t, h.byID(full.ID), full)
	if got := h.byID(never.ID); got.ExpiresAt != nil || got.LastUsedAt != nil || got.InvalidAt != nil {
		t.Errorf("unset times came back set: %+v", got)
	}
}

// listFixture creates tokens of two owners in every state.
func listFixture(h *harness) map[string][]string {
	ids := map[string][]string{}
	add := func(key string, tok *store.Token) { ids[key] = append(ids[key], tok.ID) }
	for _, owner := range []string{"a", "b"} {
		add(owner+"/active", h.create(withOwner(owner)))
		add(owner+"/active", h.create(withOwner(owner), withExpiry(after(time.Hour))))
		add(owner+"/expired", h.create(withOwner(owner), withExpiry(after(-time.Hour))))
		marked := h.create(withOwner(owner), withExpiry(after(-2*time.Hour)))
		add(owner+"/expired", marked)
		rev := h.create(withOwner(owner), withExpiry(after(time.Hour)))
		if _, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: rev.ID, Reason: "leaked", At: base()}); err != nil {
			h.t.Fatal(err)
		}
		add(owner+"/revoked", rev)
	}
	if _, err := h.s.ExpireDue(h.ctx, after(-90*time.Minute)); err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func testListFilters(t *testing.T, h *harness) {
	ids := listFixture(h)
	join := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			out = append(out, ids[k]...)
		}
		return sortStrings(out)
	}
	all := join("a/active", "a/expired", "a/revoked", "b/active", "b/expired", "b/revoked")
	cases := []struct {
		f    store.ListFilter
		want []string
	}{
		{store.ListFilter{}, all},
		{store.ListFilter{Owner: "a"}, join("a/active", "a/expired", "a/revoked")},
		{store.ListFilter{Owner: "nobody"}, nil},
		{store.ListFilter{State: leakguard.StateActive, Now: base()}, join("a/active", "b/active")},
		{store.ListFilter{State: leakguard.StateExpired, Now: base()}, join("a/expired", "b/expired")},
		{store.ListFilter{State: leakguard.StateRevoked, Now: base()}, join("a/revoked", "b/revoked")},
		{store.ListFilter{Owner: "b", State: leakguard.StateActive, Now: base()}, join("b/active")},
		{store.ListFilter{Owner: "b", State: leakguard.StateExpired, Now: after(2 * time.Hour)},
			sortStrings(append(join("b/expired"), ids["b/active"][1]))},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s", c.f.Owner, c.f.State), func(t *testing.T) {
			got, err := h.s.ListTokens(h.ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprint(tokenIDs(got)), fmt.Sprint(c.want); g != w {
				t.Errorf("ListTokens(%+v) =\n %s, want\n %s", c.f, g, w)
			}
			for _, tok := range got {
				if c.f.State != "" && tok.State(c.f.Now) != c.f.State {
					t.Errorf("token %s has state %s, filter %s", tok.ID, tok.State(c.f.Now), c.f.State)
				}
			}
		})
	}
	for _, bad := range []store.ListFilter{{State: "dormant"}, {Limit: -1}} {
		if _, err := h.s.ListTokens(h.ctx, bad); !isErr(err, store.ErrInvalid) {
			t.Errorf("ListTokens(%+v) err = %v, want ErrInvalid", bad, err)
		}
	}
}

func testListPagination(t *testing.T, h *harness) {
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, h.create(withOwner("pager")).ID)
	}
	h.create(withOwner("other"))
	sortStrings(want)
	var got []string
	f := store.ListFilter{Owner: "pager", Limit: 3}
	for pages := 0; ; pages++ {
		page, err := h.s.ListTokens(h.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 || pages > 5 {
			t.Fatalf("page %d has %d tokens (limit 3)", pages, len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, tokenIDs(page)...)
		f.After = page[len(page)-1].ID
	}
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		t.Errorf("paged ids = %s, want %s", g, w)
	}
}

func testTouchLastUsed(t *testing.T, h *harness) {
	tok := h.create()
	steps := []struct {
		at   time.Time
		want time.Time
	}{
		{after(time.Minute), after(time.Minute)},
		{after(30 * time.Second), after(time.Minute)}, // older: ignored
		{after(time.Minute), after(time.Minute)},
		{after(2*time.Minute + time.Microsecond), after(2*time.Minute + time.Microsecond)},
	}
	for i, st := range steps {
		if err := h.s.TouchLastUsed(h.ctx, tok.ID, st.at); err != nil {
			t.Fatalf("step %d: TouchLastUsed: %v", i, err)
		}
		got := h.byID(tok.ID).LastUsedAt
		if got == nil || !got.Equal(st.want) {
			t.Errorf("step %d: LastUsedAt = %v, want %v", i, got, st.want)
		}
	}
	if err := h.s.TouchLastUsed(h.ctx, "tok_unknown", base()); !isErr(err, store.ErrNotFound) {
		t.Errorf("TouchLastUsed(unknown) err = %v, want ErrNotFound", err)
	}
	if got := h.byID(tok.ID); !got.Valid || len(h.events(tok.ID)) != 1 {
		t.Errorf("touch changed more than last_used_at: %+v", got)
	}
}

func testPing(t *testing.T, h *harness) {
	if err := h.s.Ping(h.ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// testTouchLastUsedMany: a batch moves each token's LastUsedAt forward
// only (the latest of duplicates wins), skips unknown ids, and changes
// nothing else.
func testTouchLastUsedMany(t *testing.T, h *harness) {
	bt, ok := h.s.(store.BatchToucher)
	if !ok {
		t.Skip("store has no batch touch (store.BatchToucher)")
	}
	a, b, untouched := h.create(withLastUsed(after(time.Hour))), h.create(), h.create()
	err := bt.TouchLastUsedMany(h.ctx, []store.Touch{
		{ID: a.ID, At: after(time.Minute)}, // older than a's: ignored
		{ID: b.ID, At: after(time.Minute)},
		{ID: "tok_00000000000000000000000000000000", At: after(time.Minute)}, // unknown: skipped
		{ID: b.ID, At: after(2 * time.Minute)},
		{ID: b.ID, At: after(90 * time.Second)}, // an older duplicate
	})
	if err != nil {
		t.Fatalf("TouchLastUsedMany: %v", err)
	}
	for _, c := range []struct {
		tok  *store.Token
		want *time.Time
	}{{a, ptr(after(time.Hour))}, {b, ptr(after(2 * time.Minute))}, {untouched, nil}} {
		got := h.byID(c.tok.ID)
		if !sameTime(got.LastUsedAt, c.want) || !got.Valid {
			t.Errorf("token %s: LastUsedAt = %v, want %v", c.tok.ID, got.LastUsedAt, c.want)
		}
	}
	if err := bt.TouchLastUsedMany(h.ctx, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

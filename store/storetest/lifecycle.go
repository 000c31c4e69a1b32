package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

func testExpireDue(t *testing.T, h *harness) {
	due := h.create(withExpiry(after(-time.Hour)))
	edge := h.create(withExpiry(base()))
	later := h.create(withExpiry(after(time.Hour)))
	never := h.create()
	revoked := h.create(withExpiry(after(-time.Hour)))
	if _, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: revoked.ID, Reason: "r", At: after(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := h.s.ExpireDue(h.ctx, base())
	if err != nil {
		t.Fatalf("ExpireDue: %v", err)
	}
	if g, w := fmt.Sprint(tokenIDs(got)), fmt.Sprint(sortStrings([]string{due.ID, edge.ID})); g != w {
		t.Errorf("ExpireDue = %s, want %s (ordered by id)", g, w)
	}
	for _, tok := range []*store.Token{due, edge} {
		want := *tok
		want.Valid, want.InvalidAt, want.InvalidReason = false, tok.ExpiresAt, store.ReasonExpired
		assertToken(t, h.byID(tok.ID), &want)
		evs := kinds(h.events(tok.ID), store.EventExpired)
		if len(evs) != 1 || evs[0].Actor != "sweeper" || !evs[0].At.Equal(*tok.ExpiresAt) {
			t.Errorf("expired events of %s = %+v, want one by sweeper at expiry", tok.ID, evs)
		}
		if s := h.byID(tok.ID).State(base()); s != leakguard.StateExpired {
			t.Errorf("state = %s, want expired", s)
		}
	}
	for _, tok := range []*store.Token{later, never} {
		if !h.byID(tok.ID).Valid {
			t.Errorf("token %s expired early", tok.ID)
		}
	}
	if got := h.byID(revoked.ID); got.InvalidReason != "r" {
		t.Errorf("ExpireDue overwrote a revocation: %+v", got)
	}
	if again, err := h.s.ExpireDue(h.ctx, base()); err != nil || len(again) != 0 {
		t.Errorf("second ExpireDue = %d tokens, %v; want none", len(again), err)
	}
	if ns := h.drainOutbox(); len(ns) != 0 {
		t.Errorf("outbox = %d entries, want none (ExpireDue notifies nobody)", len(ns))
	}
}

// notice builds a notice request for stage about tok.
func (h *harness) notice(tok *store.Token, stage string) store.NoticeRequest {
	return store.NoticeRequest{TokenID: tok.ID, Stage: stage,
		Event:  store.Event{Kind: store.EventExpiringNotice, At: base(), Actor: "sweeper", Detail: stage},
		Notify: h.notification(store.NotifyExpiring, tok, "")}
}

func testExpiringAndNotices(t *testing.T, h *harness) {
	soon := h.create(withExpiry(after(12 * time.Hour)))
	week := h.create(withExpiry(after(3 * 24 * time.Hour)))
	h.create(withExpiry(after(10 * 24 * time.Hour)))
	h.create(withExpiry(after(-time.Hour)))
	h.create()
	gone := h.create(withExpiry(after(time.Hour)))
	if _, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: gone.ID, Reason: "r", At: base()}); err != nil {
		t.Fatal(err)
	}
	expiring := func(deadline time.Duration, stage string) string {
		t.Helper()
		got, err := h.s.ExpiringBefore(h.ctx, base(), after(deadline), stage)
		if err != nil {
			t.Fatalf("ExpiringBefore: %v", err)
		}
		return fmt.Sprint(sortedIDs(got))
	}
	if g, w := expiring(7*24*time.Hour, "7d"), fmt.Sprint(sortStrings([]string{soon.ID, week.ID})); g != w {
		t.Errorf("ExpiringBefore(7d) = %s, want %s", g, w)
	}
	for i, want := range []bool{true, false, false} {
		ok, err := h.s.RecordNotice(h.ctx, h.notice(week, "7d"))
		if err != nil || ok != want {
			t.Errorf("RecordNotice #%d = %v, %v; want %v", i, ok, err, want)
		}
	}
	if g, w := expiring(7*24*time.Hour, "7d"), fmt.Sprint([]string{soon.ID}); g != w {
		t.Errorf("after notice, ExpiringBefore(7d) = %s, want %s", g, w)
	}
	if g, w := expiring(7*24*time.Hour, "1d"), fmt.Sprint(sortStrings([]string{soon.ID, week.ID})); g != w {
		t.Errorf("stages are independent: ExpiringBefore(1d stage) = %s, want %s", g, w)
	}
	if evs := kinds(h.events(week.ID), store.EventExpiringNotice); len(evs) != 1 || evs[0].Detail != "7d" {
		t.Errorf("notice events = %+v, want one", evs)
	}
	if ns := h.drainOutbox(); len(ns) != 1 || ns[0].Type != store.NotifyExpiring {
		t.Errorf("outbox = %+v, want one token.expiring", ns)
	}
	if _, err := h.s.RecordNotice(h.ctx, store.NoticeRequest{TokenID: "tok_unknown", Stage: "7d"}); !isErr(err, store.ErrNotFound) {
		t.Errorf("RecordNotice(unknown) err = %v, want ErrNotFound", err)
	}
	if _, err := h.s.RecordNotice(h.ctx, store.NoticeRequest{TokenID: week.ID}); !isErr(err, store.ErrInvalid) {
		t.Errorf("RecordNotice(no stage) err = %v, want ErrInvalid", err)
	}
}

func testRecordNoticeConcurrent(t *testing.T, h *harness) {
	const n = 10
	tok := h.create(withExpiry(after(time.Hour)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for i := 0; i < n; i++ {
		req := h.notice(tok, "1d")
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := h.s.RecordNotice(h.ctx, req)
			if err != nil {
				t.Errorf("RecordNotice: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				recorded++
			}
		}()
	}
	wg.Wait()
	if recorded != 1 {
		t.Errorf("%d concurrent RecordNotice recorded %d times, want 1", n, recorded)
	}
	if ns := h.drainOutbox(); len(ns) != 1 {
		t.Errorf("outbox = %d, want 1", len(ns))
	}
	if evs := kinds(h.events(tok.ID), store.EventExpiringNotice); len(evs) != 1 {
		t.Errorf("notice events = %d, want 1", len(evs))
	}
}

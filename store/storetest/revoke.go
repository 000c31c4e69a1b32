package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// revokeReq builds a revoke request with a notification about tok.
func (h *harness) revokeReq(tok *store.Token, reason string) store.RevokeRequest {
	return store.RevokeRequest{Reason: reason, Actor: "bob", Source: "github-secret-scanning",
		At: after(time.Hour), Notify: h.notification(store.NotifyRevoked, tok, reason)}
}

// assertRevoked checks a token revoked once by req.
func assertRevoked(t *testing.T, h *harness, tok *store.Token, req store.RevokeRequest, kind store.EventKind) {
	t.Helper()
	want := *tok
	want.Valid, want.InvalidAt, want.InvalidReason, want.RevokedBy = false, &req.At, req.Reason, req.Actor
	assertToken(t, h.byID(tok.ID), &want)
	if got := h.byID(tok.ID).State(after(time.Hour)); got != leakguard.StateRevoked {
		t.Errorf("state = %s, want revoked", got)
	}
	evs := kinds(h.events(tok.ID), kind)
	if len(evs) != 1 {
		t.Fatalf("%s events = %d, want 1", kind, len(evs))
	}
	if e := evs[0]; !e.At.Equal(req.At) || e.Actor != req.Actor || e.Source != req.Source || e.Detail != req.Reason {
		t.Errorf("%s event = %+v, want at=%v actor=%s source=%s detail=%s", kind, e, req.At, req.Actor, req.Source, req.Reason)
	}
}

func testRevokeByID(t *testing.T, h *harness) {
	tok := h.create()
	req := h.revokeReq(tok, "leaked in a public gist")
	req.ID = tok.ID
	got, already, err := h.s.Revoke(h.ctx, req)
	if err != nil || already {
		t.Fatalf("Revoke = already %v, err %v; want revoked now", already, err)
	}
	if got.Valid || got.InvalidReason != req.Reason || got.ID != tok.ID {
		t.Errorf("returned token %+v is not the revoked token", got)
	}
	assertRevoked(t, h, tok, req, store.EventRevoked)
	ns := h.drainOutbox()
	if len(ns) != 1 || ns[0].ID != req.Notify.ID || ns[0].Type != store.NotifyRevoked ||
		string(ns[0].Payload) != string(req.Notify.Payload) || ns[0].Attempts != 0 {
		t.Errorf("outbox = %+v, want exactly the revoke notification", ns)
	}
}

func testRevokeByHash(t *testing.T, h *harness) {
	tok := h.create()
	other := h.create()
	req := h.revokeReq(tok, "rotated")
	req.Hash = tok.Hash
	if _, already, err := h.s.Revoke(h.ctx, req); err != nil || already {
		t.Fatalf("Revoke by hash = already %v, err %v", already, err)
	}
	assertRevoked(t, h, tok, req, store.EventRevoked)
	if !h.byID(other.ID).Valid {
		t.Error("revoking one token by hash invalidated another")
	}
	mismatch := h.revokeReq(other, "x")
	mismatch.ID, mismatch.Hash = other.ID, tok.Hash
	if _, _, err := h.s.Revoke(h.ctx, mismatch); !isErr(err, store.ErrNotFound) {
		t.Errorf("Revoke with id and hash of different tokens err = %v, want ErrNotFound", err)
	}
	if len(h.drainOutbox()) != 1 {
		t.Error("outbox should hold only the one revocation")
	}
}

func testRevokeIdempotent(t *testing.T, h *harness) {
	tok := h.create()
	first := h.revokeReq(tok, "first reason")
	first.ID = tok.ID
	if _, already, err := h.s.Revoke(h.ctx, first); err != nil || already {
		t.Fatalf("first Revoke = %v, %v", already, err)
	}
	for i, by := range []store.RevokeRequest{{ID: tok.ID}, {Hash: tok.Hash}} {
		again := h.revokeReq(tok, "second reason")
		again.ID, again.Hash, again.At = by.ID, by.Hash, after(2*time.Hour)
		got, already, err := h.s.Revoke(h.ctx, again)
		if err != nil || !already {
			t.Fatalf("repeat %d: Revoke = already %v, err %v; want already", i, already, err)
		}
		if got.InvalidReason != "first reason" || !got.InvalidAt.Equal(first.At) {
			t.Errorf("repeat %d: token changed: %+v", i, got)
		}
	}
	assertRevoked(t, h, tok, first, store.EventRevoked)
	if ns := h.drainOutbox(); len(ns) != 1 || ns[0].ID != first.Notify.ID {
		t.Errorf("outbox = %d entries, want only the first revocation's", len(ns))
	}
}

func testRevokeConcurrent(t *testing.T, h *harness) {
	const n = 20
	tok := h.create()
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		revoked, errs   int
		alreadyReported int
	)
	for i := 0; i < n; i++ {
		req := h.revokeReq(tok, fmt.Sprintf("racer %d", i))
		if i%2 == 0 {
			req.ID = tok.ID
		} else {
			req.Hash = tok.Hash
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, already, err := h.s.Revoke(h.ctx, req)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs++
				t.Errorf("concurrent Revoke: %v", err)
			case already:
				alreadyReported++
			default:
				revoked++
			}
			if err == nil && got.Valid {
				t.Error("Revoke returned a valid token")
			}
		}()
	}
	wg.Wait()
	if revoked != 1 || alreadyReported != n-1 {
		t.Errorf("%d concurrent revokes: %d revoked, %d already, %d errors; want 1, %d, 0", n, revoked, alreadyReported, errs, n-1)
	}
	if evs := kinds(h.events(tok.ID), store.EventRevoked); len(evs) != 1 {
		t.Errorf("revoked events = %d, want 1", len(evs))
	}
	if ns := h.drainOutbox(); len(ns) != 1 {
		t.Errorf("outbox = %d notifications, want 1", len(ns))
	}
}

func testRevokeErrors(t *testing.T, h *harness) {
	tok := h.create()
	unknown, _ := h.newToken()
	cases := []struct {
		name string
		req  store.RevokeRequest
		want error
	}{
		{"unknown id", store.RevokeRequest{ID: "tok_unknown", Reason: "r"}, store.ErrNotFound},
		{"unknown hash", store.RevokeRequest{Hash: unknown.Hash, Reason: "r"}, store.ErrNotFound},
		{"no reason", store.RevokeRequest{ID: tok.ID}, store.ErrInvalid},
		{"no identifier", store.RevokeRequest{Reason: "r"}, store.ErrInvalid},
		{"malformed hash", store.RevokeRequest{Hash: "lgu_notahash", Reason: "r"}, store.ErrInvalid},
	}
	for _, c := range cases {
		c.req.Notify = h.notification(store.NotifyRevoked, tok, "r")
		if _, _, err := h.s.Revoke(h.ctx, c.req); !isErr(err, c.want) {
			t.Errorf("%s: Revoke err = %v, want %v", c.name, err, c.want)
		}
	}
	if got := h.byID(tok.ID); !got.Valid || len(h.events(tok.ID)) != 1 {
		t.Errorf("failed revokes changed the token: %+v", got)
	}
	if ns := h.drainOutbox(); len(ns) != 0 {
		t.Errorf("failed revokes enqueued %d notifications", len(ns))
	}
}

func testRevokeLeakReported(t *testing.T, h *harness) {
	tok := h.create()
	req := h.revokeReq(tok, "leaked: github https://github.com/o/r/blob/x/a.py")
	req.Hash, req.Kind = tok.Hash, store.EventLeakReported
	if _, _, err := h.s.Revoke(h.ctx, req); err != nil {
		t.Fatal(err)
	}
	assertRevoked(t, h, tok, req, store.EventLeakReported)

	dflt := h.create()
	if _, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: dflt.ID, Reason: "no time given"}); err != nil {
		t.Fatal(err)
	}
	got := h.byID(dflt.ID)
	if got.InvalidAt == nil || got.InvalidAt.IsZero() || len(kinds(h.events(dflt.ID), store.EventRevoked)) != 1 {
		t.Errorf("revoke with zero At/Kind: invalid_at %v, events %+v", got.InvalidAt, h.events(dflt.ID))
	}
}

func testRevokeExpiredUnmarked(t *testing.T, h *harness) {
	tok := h.create(withExpiry(after(-time.Minute)))
	req := h.revokeReq(tok, "late revoke")
	req.ID = tok.ID
	if _, already, err := h.s.Revoke(h.ctx, req); err != nil || already {
		t.Fatalf("Revoke of expired-but-unmarked token = already %v, err %v; want revoked", already, err)
	}
	if got, _ := h.s.ExpireDue(h.ctx, after(time.Hour)); len(got) != 0 {
		t.Errorf("ExpireDue after revoke marked %d tokens, want 0", len(got))
	}
	assertRevoked(t, h, tok, req, store.EventRevoked)
}

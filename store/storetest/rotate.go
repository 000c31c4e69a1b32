package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// rotateReq builds a rotation of old by a new successor (same owner,
// name, type and scopes) at after(1h), retiring old at retire (zero: at
// once, with a token.revoked notification).
func (h *harness) rotateReq(old *store.Token, retire time.Time) store.RotateRequest {
	h.t.Helper()
	succ, _ := h.newToken(withOwner(old.Owner), withName(old.Name), withScopes(old.Scopes...),
		withCreated(after(time.Hour)), withExpiry(after(91*24*time.Hour)))
	req := store.RotateRequest{OldID: old.ID, Successor: succ, At: after(time.Hour), RetireAt: retire,
		Reason: "rotated to " + succ.ID, Actor: "bob", Source: "test",
		Issued: store.Event{Kind: store.EventIssued, Actor: "bob", Source: "test", Detail: "replaces " + old.ID}}
	if retire.IsZero() {
		req.Notify = h.notification(store.NotifyRevoked, old, req.Reason)
	}
	return req
}

func testRotateWithGrace(t *testing.T, h *harness) {
	old := h.create(withExpiry(after(90*24*time.Hour)), withScopes("read", "write"))
	if _, err := h.s.TokenByHash(h.ctx, old.Hash); err != nil { // a cache now holds it
		t.Fatal(err)
	}
	req := h.rotateReq(old, after(25*time.Hour))
	got, err := h.s.RotateToken(h.ctx, req)
	if err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	want := *old
	want.ReplacedBy, want.ExpiresAt = req.Successor.ID, &req.RetireAt
	assertToken(t, got, &want)
	assertToken(t, h.byID(old.ID), &want)
	byHash, err := h.s.TokenByHash(h.ctx, old.Hash)
	if err != nil {
		t.Fatal(err)
	}
	assertToken(t, byHash, &want)
	succ := *req.Successor
	succ.Replaces = old.ID
	assertToken(t, h.byID(succ.ID), &succ)
	if s, err := h.s.TokenByHash(h.ctx, succ.Hash); err != nil || s.Replaces != old.ID || s.Owner != old.Owner {
		t.Errorf("successor by hash = %+v, %v; want it linked to %s", s, err, old.ID)
	}
	rot := kinds(h.events(old.ID), store.EventRotated)
	wantDetail := "replaced by " + succ.ID + "; valid until " + req.RetireAt.Format(time.RFC3339)
	if len(rot) != 1 || rot[0].Detail != wantDetail || !rot[0].At.Equal(req.At) || rot[0].Actor != "bob" {
		t.Errorf("rotated events = %+v, want one with detail %q", rot, wantDetail)
	}
	if n := len(kinds(h.events(old.ID), store.EventRevoked)); n != 0 {
		t.Errorf("revoked events during grace = %d, want 0", n)
	}
	if iss := kinds(h.events(succ.ID), store.EventIssued); len(iss) != 1 || iss[0].Detail != "replaces "+old.ID {
		t.Errorf("successor issued events = %+v", iss)
	}
	if ns := h.drainOutbox(); len(ns) != 0 {
		t.Errorf("outbox = %+v, want nothing during grace", ns)
	}
	due, err := h.s.ExpireDue(h.ctx, after(25*time.Hour))
	if err != nil || len(due) != 1 || due[0].ID != old.ID {
		t.Errorf("ExpireDue at the end of grace = %v, %v; want the old token", tokenIDs(due), err)
	}
}

func testRotateGraceCapped(t *testing.T, h *harness) {
	old := h.create(withExpiry(after(10 * time.Hour)))
	req := h.rotateReq(old, after(25*time.Hour))
	got, err := h.s.RotateToken(h.ctx, req)
	if err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	if !got.Valid || !sameTime(got.ExpiresAt, old.ExpiresAt) || got.ReplacedBy != req.Successor.ID {
		t.Errorf("old = %+v; want its own expiry kept (grace longer than its life)", got)
	}
	never := h.create()
	req = h.rotateReq(never, after(25*time.Hour))
	if got, err = h.s.RotateToken(h.ctx, req); err != nil || !sameTime(got.ExpiresAt, &req.RetireAt) {
		t.Errorf("never-expiring old = %+v, %v; want expiry at the end of grace", got, err)
	}
}

func testRotateAtOnce(t *testing.T, h *harness) {
	old := h.create(withExpiry(after(90 * 24 * time.Hour)))
	if _, err := h.s.TokenByHash(h.ctx, old.Hash); err != nil {
		t.Fatal(err)
	}
	req := h.rotateReq(old, time.Time{})
	if _, err := h.s.RotateToken(h.ctx, req); err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	want := *old
	want.ReplacedBy, want.Valid, want.InvalidAt, want.InvalidReason, want.RevokedBy = req.Successor.ID, false, &req.At, req.Reason, "bob"
	assertToken(t, h.byID(old.ID), &want)
	if got, err := h.s.TokenByHash(h.ctx, old.Hash); err != nil || got.Valid || got.ReplacedBy != req.Successor.ID {
		t.Errorf("old by hash = %+v, %v; want revoked and linked", got, err)
	}
	evs := h.events(old.ID)
	if rev := kinds(evs, store.EventRevoked); len(rev) != 1 || rev[0].Detail != req.Reason {
		t.Errorf("revoked events = %+v, want one with the reason", rev)
	}
	if rot := kinds(evs, store.EventRotated); len(rot) != 1 || rot[0].Detail != "replaced by "+req.Successor.ID {
		t.Errorf("rotated events = %+v", rot)
	}
	if ns := h.drainOutbox(); len(ns) != 1 || ns[0].ID != req.Notify.ID {
		t.Errorf("outbox = %+v, want the one token.revoked notification", ns)
	}
}

func testRotateRefused(t *testing.T, h *harness) {
	rotated := h.create()
	if _, err := h.s.RotateToken(h.ctx, h.rotateReq(rotated, after(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	expired := h.create(withExpiry(after(time.Minute))) // unmarked at after(1h)
	tests := []struct {
		name string
		old  *store.Token
		want error
	}{
		{"already rotated", rotated, store.ErrConflict},
		{"expired", expired, store.ErrConflict},
		{"unknown", &store.Token{ID: "tok_00000000000000000000000000000000", Owner: "x", Name: "x"}, store.ErrNotFound},
	}
	for _, tc := range tests {
		req := h.rotateReq(tc.old, after(2*time.Hour))
		if _, err := h.s.RotateToken(h.ctx, req); !isErr(err, tc.want) {
			t.Errorf("%s: RotateToken err = %v, want %v", tc.name, err, tc.want)
		}
		if _, err := h.s.TokenByID(h.ctx, req.Successor.ID); !isErr(err, store.ErrNotFound) {
			t.Errorf("%s: successor stored (%v), want nothing written", tc.name, err)
		}
	}
	if _, err := h.s.RotateToken(h.ctx, store.RotateRequest{OldID: rotated.ID}); !isErr(err, store.ErrInvalid) {
		t.Errorf("no successor: err = %v, want ErrInvalid", err)
	}
}

func testRotateConcurrent(t *testing.T, h *harness) {
	old := h.create(withExpiry(after(90 * 24 * time.Hour)))
	const n = 8
	reqs := make([]store.RotateRequest, n)
	for i := range reqs {
		reqs[i] = h.rotateReq(old, after(25*time.Hour))
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.s.RotateToken(h.ctx, reqs[i])
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("rotations %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case !isErr(err, store.ErrConflict):
			t.Errorf("rotation %d: err = %v, want ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no rotation succeeded")
	}
	if got := h.byID(old.ID).ReplacedBy; got != reqs[won].Successor.ID {
		t.Errorf("replaced_by = %s, want the winner %s", got, reqs[won].Successor.ID)
	}
	if n := len(kinds(h.events(old.ID), store.EventRotated)); n != 1 {
		t.Errorf("rotated events = %d, want 1", n)
	}
}

// testRotateRevoked: a revoked token (here for a leak) can be rotated
// once: the successor is issued and linked, and nothing else about the
// old token changes: no grace, no revoked event, no notification.
func testRotateRevoked(t *testing.T, h *harness) {
	old := h.create(withExpiry(after(90 * 24 * time.Hour)))
	rev, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: old.ID, Reason: "leaked: file app.env:3",
		Actor: "scanner", Kind: store.EventLeakReported, At: after(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	h.drainOutbox()                              // the leak's own notification, leased away
	req := h.rotateReq(rev, after(25*time.Hour)) // a grace asked for is ignored
	got, err := h.s.RotateToken(h.ctx, req)
	if err != nil {
		t.Fatalf("RotateToken of a revoked token: %v", err)
	}
	want := *rev
	want.ReplacedBy = req.Successor.ID
	assertToken(t, got, &want)
	assertToken(t, h.byID(old.ID), &want)
	if byHash, err := h.s.TokenByHash(h.ctx, old.Hash); err != nil || byHash.Valid || byHash.ReplacedBy != req.Successor.ID {
		t.Errorf("old by hash = %+v, %v; want still revoked, linked", byHash, err)
	}
	succ := *req.Successor
	succ.Replaces = old.ID
	assertToken(t, h.byID(succ.ID), &succ)
	evs := h.events(old.ID)
	if rot := kinds(evs, store.EventRotated); len(rot) != 1 || rot[0].Detail != "replaced by "+succ.ID+"; already revoked" {
		t.Errorf("rotated events = %+v", rot)
	}
	if n := len(kinds(evs, store.EventRevoked)); n != 0 {
		t.Errorf("revoked events = %d, want 0 (the leak report revoked it)", n)
	}
	if ns := h.drainOutbox(); len(ns) != 0 {
		t.Errorf("outbox = %+v, want nothing new", ns)
	}
	if _, err := h.s.RotateToken(h.ctx, h.rotateReq(rev, time.Time{})); !isErr(err, store.ErrConflict) {
		t.Errorf("second rotation: %v, want ErrConflict", err)
	}
}

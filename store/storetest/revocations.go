package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// feed returns the store's revocation log, or skips the case for a store
// that keeps none (every adapter of this repository keeps one; a
// decorator over a store without one answers errors.ErrUnsupported).
func (h *harness) feed() store.RevocationFeed {
	h.t.Helper()
	f, ok := h.s.(store.RevocationFeed)
	if !ok {
		h.t.Skip("store keeps no revocation log (store.RevocationFeed)")
	}
	if _, err := f.RevocationHead(h.ctx); errors.Is(err, errors.ErrUnsupported) {
		h.t.Skip("store keeps no revocation log (store.RevocationFeed)")
	}
	return f
}

// revocations reads the whole log after seq.
func (h *harness) revocations(f store.RevocationFeed, after int64) []store.Revocation {
	h.t.Helper()
	rs, err := f.Revocations(h.ctx, store.RevocationQuery{After: after, Limit: 10000})
	if err != nil {
		h.t.Fatalf("Revocations: %v", err)
	}
	return rs
}

func testRevocationLog(t *testing.T, h *harness) {
	f := h.feed()
	head, err := f.RevocationHead(h.ctx)
	if err != nil || head != 0 {
		t.Fatalf("RevocationHead of an empty store = %d, %v; want 0", head, err)
	}
	revoked, graced, atOnce, leaked, kept := h.create(), h.create(withExpiry(after(90*24*time.Hour))),
		h.create(), h.create(), h.create()
	steps := []struct {
		name string
		do   func() error
		want *store.Token // appended, or nil for nothing
	}{
		{"revoke", func() error { return h.revoke(revoked, base()) }, revoked},
		{"revoke again", func() error { return h.revoke(revoked, after(time.Minute)) }, nil},
		{"rotate with grace", func() error {
			_, err := h.s.RotateToken(h.ctx, h.rotateReq(graced, after(25*time.Hour)))
			return err
		}, graced},
		{"rotate at once", func() error { _, err := h.s.RotateToken(h.ctx, h.rotateReq(atOnce, time.Time{})); return err }, atOnce},
		{"revoke for a leak", func() error { return h.revoke(leaked, after(2*time.Hour)) }, leaked},
		{"rotate the revoked", func() error { _, err := h.s.RotateToken(h.ctx, h.rotateReq(leaked, time.Time{})); return err }, nil},
		{"expire", func() error { _, err := h.s.ExpireDue(h.ctx, after(365*24*time.Hour)); return err }, nil},
		{"touch", func() error { return h.s.TouchLastUsed(h.ctx, kept.ID, after(time.Hour)) }, nil},
		{"revoke unknown", func() error {
			_, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: "tok_00000000000000000000000000000000", Reason: "x"})
			if !isErr(err, store.ErrNotFound) {
				t.Errorf("revoke unknown: %v", err)
			}
			return nil
		}, nil},
	}
	last := head
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := h.revocations(f, last)
		switch {
		case st.want == nil && len(got) != 0:
			t.Errorf("%s appended %+v, want nothing", st.name, got)
		case st.want != nil && (len(got) != 1 || got[0].Hash != st.want.Hash || got[0].Seq <= last || got[0].At.IsZero()):
			t.Errorf("%s appended %+v, want one entry for %s after seq %d", st.name, got, st.want.Hash, last)
		case st.want != nil:
			last = got[0].Seq
		}
		if head, err := f.RevocationHead(h.ctx); err != nil || head != last {
			t.Errorf("%s: RevocationHead = %d, %v; want %d", st.name, head, err, last)
		}
	}
	all := h.revocations(f, 0)
	if len(all) != 4 || !all[0].At.Equal(base()) {
		t.Fatalf("log = %+v, want 4 entries, the first at %v", all, base())
	}
	one, err := f.Revocations(h.ctx, store.RevocationQuery{After: all[0].Seq, Limit: 1})
	if err != nil || len(one) != 1 || one[0] != all[1] {
		t.Errorf("Revocations after the first, limit 1 = %+v, %v; want %+v", one, err, all[1])
	}
	since, err := f.Revocations(h.ctx, store.RevocationQuery{Since: after(30 * time.Minute), Limit: 10})
	if err != nil || len(since) != 3 || since[0].Hash != graced.Hash {
		t.Errorf("Revocations since after(30m) = %+v, %v; want the last 3 (at 1h, 1h, 2h)", since, err)
	}
	if _, err := f.Revocations(h.ctx, store.RevocationQuery{}); !isErr(err, store.ErrInvalid) {
		t.Errorf("Revocations without a limit: %v, want ErrInvalid", err)
	}
}

// testRevocationLogFollowed: revocations committed concurrently while a
// reader follows the log by seq are each seen exactly once: sequence
// order is commit order, so following by seq skips nothing.
func testRevocationLogFollowed(t *testing.T, h *harness) {
	f := h.feed()
	const n = 40
	toks := make([]*store.Token, n)
	for i := range toks {
		toks[i] = h.create()
	}
	var wg sync.WaitGroup
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.revoke(toks[i], base()); err != nil {
				t.Errorf("revoke %d: %v", i, err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	var last int64
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		for _, r := range h.revocations(f, last) {
			if r.Seq <= last {
				t.Fatalf("entry %d after %d", r.Seq, last)
			}
			seen[r.Hash]++
			last = r.Seq
		}
	}
	for _, r := range h.revocations(f, last) { // anything committed after the last poll
		seen[r.Hash]++
	}
	for i, tok := range toks {
		if seen[tok.Hash] != 1 {
			t.Errorf("token %d seen %d times following the log, want 1", i, seen[tok.Hash])
		}
	}
	if len(seen) != n {
		t.Errorf("%d hashes in the log, want %d", len(seen), n)
	}
}

// revoke revokes tok at at.
func (h *harness) revoke(tok *store.Token, at time.Time) error {
	_, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: tok.ID, Reason: "leaked", Actor: "test", At: at})
	return err
}

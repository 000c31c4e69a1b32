package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// enqueue revokes n fresh tokens, each with a notification due at base()+i
// seconds, and returns the notification ids in due order.
func (h *harness) enqueue(n int) []string {
	h.t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		tok := h.create()
		note := h.notification(store.NotifyRevoked, tok, "r")
		note.NextAttemptAt = base().Add(time.Duration(i) * time.Second)
		if _, _, err := h.s.Revoke(h.ctx, store.RevokeRequest{ID: tok.ID, Reason: "r", At: base(), Notify: note}); err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, note.ID)
	}
	return ids
}

// claim claims and returns the ids.
func (h *harness) claim(now time.Time, limit int, lease time.Duration) []string {
	h.t.Helper()
	ns, err := h.s.ClaimNotifications(h.ctx, now, limit, lease)
	if err != nil {
		h.t.Fatalf("ClaimNotifications: %v", err)
	}
	var ids []string
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return ids
}

func testOutboxClaimLease(t *testing.T, h *harness) {
	ids := h.enqueue(4)
	now := after(10 * time.Second)
	steps := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"nothing due yet", after(-time.Second), 10, nil},
		{"due in order, limited", now, 2, ids[:2]},
		{"the rest; claimed ones hidden", now, 10, ids[2:]},
		{"all leased", now.Add(59 * time.Second), 10, nil},
		{"lease ran out; equal due times by id", now.Add(time.Minute), 3, sortStrings(append([]string(nil), ids...))[:3]},
	}
	for _, st := range steps {
		got := h.claim(st.now, st.limit, time.Minute)
		if g, w := fmt.Sprint(got), fmt.Sprint(st.want); g != w {
			t.Errorf("%s: claimed %s, want %s", st.name, g, w)
		}
	}
	for _, bad := range []struct {
		limit int
		lease time.Duration
	}{{0, time.Minute}, {1, 0}} {
		if _, err := h.s.ClaimNotifications(h.ctx, now, bad.limit, bad.lease); !isErr(err, store.ErrInvalid) {
			t.Errorf("ClaimNotifications(limit %d, lease %v) err = %v, want ErrInvalid", bad.limit, bad.lease, err)
		}
	}
}

func testOutboxFailAndDeliver(t *testing.T, h *harness) {
	ids := h.enqueue(2)
	now := after(time.Minute)
	if got := h.claim(now, 10, time.Minute); len(got) != 2 {
		t.Fatalf("claimed %v, want both", got)
	}
	retry := now.Add(10 * time.Minute)
	for i := 1; i <= 2; i++ {
		if err := h.s.MarkFailed(h.ctx, ids[0], retry, fmt.Sprintf("502 Bad Gateway #%d", i)); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
	}
	if err := h.s.MarkDelivered(h.ctx, ids[1]); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	if got := h.claim(retry.Add(-time.Microsecond), 10, time.Minute); len(got) != 0 {
		t.Errorf("claimed %v before the retry time", got)
	}
	ns, err := h.s.ClaimNotifications(h.ctx, retry, 10, time.Minute)
	if err != nil || len(ns) != 1 {
		t.Fatalf("claim at retry = %+v, %v; want the failed one", ns, err)
	}
	if n := ns[0]; n.ID != ids[0] || n.Attempts != 2 || n.LastError != "502 Bad Gateway #2" || !n.CreatedAt.Equal(base()) {
		t.Errorf("failed notification = %+v, want attempts 2 and the last error", n)
	}
	if err := h.s.MarkDelivered(h.ctx, ids[1]); !isErr(err, store.ErrNotFound) {
		t.Errorf("MarkDelivered twice err = %v, want ErrNotFound", err)
	}
	if err := h.s.MarkFailed(h.ctx, "msg_unknown", retry, "x"); !isErr(err, store.ErrNotFound) {
		t.Errorf("MarkFailed(unknown) err = %v, want ErrNotFound", err)
	}
	if err := h.s.MarkDelivered(h.ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if got := h.drainOutbox(); len(got) != 0 {
		t.Errorf("outbox after delivery = %d entries, want empty", len(got))
	}
}

func testOutboxConcurrentClaims(t *testing.T, h *harness) {
	ids := h.enqueue(12)
	const workers = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ns, err := h.s.ClaimNotifications(h.ctx, after(time.Hour), 2, time.Hour)
				if err != nil {
					t.Errorf("ClaimNotifications: %v", err)
					return
				}
				if len(ns) == 0 {
					return
				}
				mu.Lock()
				for _, n := range ns {
					seen[n.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("notification %s claimed %d times within one lease, want 1", id, seen[id])
		}
	}
}

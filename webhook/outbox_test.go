package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/lifecycle"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/webhook"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestSignStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	// The published Standard Webhooks test vector.
	key, err := webhook.ParseSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	const id, ts, body = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, `{"test": 2432232314}`
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := webhook.Sign(key, id, ts, []byte(body)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !webhook.VerifySignature(key, id, ts, []byte(body), "v1,bm9wZQ== "+want) {
		t.Error("VerifySignature rejects the vector among several signatures")
	}
	if webhook.VerifySignature(key, id, ts+1, []byte(body), want) {
		t.Error("VerifySignature accepts a changed timestamp")
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	for _, in := range []string{testSecret, testSecret[len("whsec_"):]} {
		if _, err := webhook.ParseSecret(in); err != nil {
			t.Errorf("ParseSecret(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(in); err == nil {
			t.Errorf("ParseSecret(%q) accepted", in)
		}
	}
}

// delivery is one request the receiver saw.
type delivery struct {
	id, sig string
	ts      int64
	body    []byte
	ok      bool // signature verified
}

// receiver is an httptest server that checks signatures and answers with
// the queued status codes (then 204).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	key    []byte
	status []int
	got    []delivery
}

func newReceiver(t *testing.T, status ...int) *receiver {
	t.Helper()
	key, _ := webhook.ParseSecret(testSecret)
	r := &receiver{key: key, status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivery{id: req.Header.Get("webhook-id"), sig: req.Header.Get("webhook-signature"), body: body}
	d.ts, _ = strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	d.ok = webhook.VerifySignature(r.key, d.id, d.ts, body, d.sig) && req.Header.Get("Content-Type") == "application/json"
	r.mu.Lock()
	r.got = append(r.got, d)
	code := http.StatusNoContent
	if len(r.status) > 0 {
		code, r.status = r.status[0], r.status[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func openStore(t *testing.T, path string, clk *clock) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// revokeOne issues and revokes a token, which enqueues one token.revoked
// notification, and returns the token id.
func revokeOne(t *testing.T, st store.Store, clk *clock) string {
	t.Helper()
	ctx := context.Background()
	m := lifecycle.New(st, patterns.Default(), lifecycle.Options{Now: clk.Now})
	defer m.Close()
	is, err := m.Issue(ctx, lifecycle.IssueRequest{Owner: "alice", Name: "ci", Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Revoke(ctx, lifecycle.RevokeRequest{ID: is.Token.ID, Reason: "leaked", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	return is.Token.ID
}

func newDeliverer(st store.Store, url string, clk *clock, backoffs *[]int) *webhook.Deliverer {
	key, _ := webhook.ParseSecret(testSecret)
	var mu sync.Mutex
	return webhook.NewDeliverer(st, webhook.DelivererOptions{
		URL: url, Secret: key, Now: clk.Now, Logger: zerolog.Nop(), Lease: time.Minute,
		Backoff: func(n int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			if backoffs != nil {
				*backoffs = append(*backoffs, n)
			}
			return 10 * time.Second
		},
	})
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func deliverOnce(t *testing.T, d *webhook.Deliverer) int {
	t.Helper()
	n, err := d.DeliverOnce(context.Background())
	if err != nil {
		t.Fatalf("DeliverOnce: %v", err)
	}
	return n
}

func TestDelivererSignsAndDelivers(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	id := revokeOne(t, st, clk)
	rcv := newReceiver(t)
	d := newDeliverer(st, rcv.URL, clk, nil)
	if n := deliverOnce(t, d); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	got := rcv.deliveries()
	if len(got) != 1 || !got[0].ok {
		t.Fatalf("deliveries = %+v, want one correctly signed", got)
	}
	if got[0].ts != clk.Now().Unix() {
		t.Errorf("webhook-timestamp = %d, want %d", got[0].ts, clk.Now().Unix())
	}
	var p store.EventPayload
	if err := json.Unmarshal(got[0].body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != store.NotifyRevoked || p.Token.ID != id || p.Reason != "leaked" || p.Token.Owner != "alice" {
		t.Errorf("payload = %+v", p)
	}
	clk.Add(time.Hour)
	if n := deliverOnce(t, d); n != 0 {
		t.Errorf("after delivery, claimed %d, want 0 (outbox empty)", n)
	}
}

func TestDelivererRetriesAfterFailures(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	revokeOne(t, st, clk)
	rcv := newReceiver(t, 500, 503)
	var backoffs []int
	d := newDeliverer(st, rcv.URL, clk, &backoffs)
	steps := []struct {
		advance time.Duration
		claimed int
	}{
		{0, 1},               // 500
		{5 * time.Second, 0}, // not due yet
		{5 * time.Second, 1}, // 503
		{10 * time.Second, 1},
		{time.Hour, 0},
	}
	for i, s := range steps {
		clk.Add(s.advance)
		if n := deliverOnce(t, d); n != s.claimed {
			t.Errorf("step %d: claimed %d, want %d", i, n, s.claimed)
		}
	}
	got := rcv.deliveries()
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3", len(got))
	}
	for i, g := range got {
		if !g.ok || g.id != got[0].id {
			t.Errorf("delivery %d: signed ok=%v id=%s, want same id %s", i, g.ok, g.id, got[0].id)
		}
	}
	if got[2].ts == got[0].ts {
		t.Error("a retry reused the first attempt's timestamp")
	}
	if len(backoffs) != 2 || backoffs[0] != 1 || backoffs[1] != 2 {
		t.Errorf("backoff attempts = %v, want [1 2]", backoffs)
	}
}

func TestDelivererRedeliversAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	path := filepath.Join(t.TempDir(), "lg.db")
	st := openStore(t, path, clk)
	revokeOne(t, st, clk)
	// A deliverer claims the notification and dies before answering.
	claimed, err := st.ClaimNotifications(ctx, clk.Now(), 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	_ = st.Close()
	// A failed attempt before a restart is retried after the restart too.
	st2 := openStore(t, path, clk)
	rcv := newReceiver(t)
	d := newDeliverer(st2, rcv.URL, clk, nil)
	if n := deliverOnce(t, d); n != 0 {
		t.Fatalf("claimed %d while the dead deliverer's lease holds, want 0", n)
	}
	clk.Add(time.Minute)
	if n := deliverOnce(t, d); n != 1 {
		t.Fatalf("claimed %d after the lease ran out, want 1", n)
	}
	got := rcv.deliveries()
	if len(got) != 1 || !got[0].ok || got[0].id != claimed[0].ID {
		t.Errorf("deliveries = %+v, want the claimed %s", got, claimed[0].ID)
	}
}

func TestDelivererRetriesFailedAttemptAfterRestart(t *testing.T) {
	t.Parallel()
	clk := newClock()
	path := filepath.Join(t.TempDir(), "lg.db")
	st := openStore(t, path, clk)
	revokeOne(t, st, clk)
	down := newReceiver(t, 500)
	if n := deliverOnce(t, newDeliverer(st, down.URL, clk, nil)); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	_ = st.Close()
	st2 := openStore(t, path, clk)
	rcv := newReceiver(t)
	clk.Add(10 * time.Second)
	if n := deliverOnce(t, newDeliverer(st2, rcv.URL, clk, nil)); n != 1 {
		t.Fatalf("claimed %d after restart, want 1", n)
	}
	if got := rcv.deliveries(); len(got) != 1 || !got[0].ok || got[0].id != down.deliveries()[0].id {
		t.Errorf("deliveries after restart = %+v", got)
	}
}

func TestDelivererRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	revokeOne(t, st, clk)
	revokeOne(t, st, clk)
	rcv := newReceiver(t)
	key, _ := webhook.ParseSecret(testSecret)
	d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: rcv.URL, Secret: key, Now: clk.Now, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(rcv.deliveries()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if got := rcv.deliveries(); len(got) != 2 {
		t.Errorf("%d deliveries, want 2", len(got))
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 5: 80 * time.Second, 30: time.Hour, 0: time.Hour} {
		for i := 0; i < 50; i++ {
			if got := webhook.DefaultBackoff(n); got < want/2 || got > want {
				t.Fatalf("DefaultBackoff(%d) = %v, want in [%v, %v]", n, got, want/2, want)
			}
		}
	}
}

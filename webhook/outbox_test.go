package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
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

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDelivererRefusesRedirects checks that a receiver answering 3xx
// cannot send the signed event elsewhere (307 would re-POST it, 302 would
// turn it into a bodiless GET that looks delivered): the attempt fails,
// is retried later, and the log and the outbox row name the redirect's
// host only, never its full Location.
func TestDelivererRefusesRedirects(t *testing.T) {
	t.Parallel()
	codes := []int{http.StatusTemporaryRedirect, http.StatusFound, http.StatusMovedPermanently,
		http.StatusSeeOther, http.StatusPermanentRedirect}
	for _, code := range codes {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := newClock()
			st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
			revokeOne(t, st, clk)
			target := newReceiver(t)
			const leak = "sig=location-secret"
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/elsewhere?"+leak, code)
			}))
			t.Cleanup(redirector.Close)
			var logs syncBuffer
			key, _ := webhook.ParseSecret(testSecret)
			d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: redirector.URL, Secret: key,
				Now: clk.Now, Logger: zerolog.New(&logs), Lease: time.Minute,
				Backoff: func(int) time.Duration { return 10 * time.Second }})
			if n := deliverOnce(t, d); n != 1 {
				t.Fatalf("claimed %d, want 1", n)
			}
			if got := target.deliveries(); len(got) != 0 {
				t.Fatalf("the redirect was followed: its target got %d requests", len(got))
			}
			clk.Add(10 * time.Second)
			ns, err := st.ClaimNotifications(ctx, clk.Now(), 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != 1 || ns[0].Attempts != 1 {
				t.Fatalf("outbox after the redirect = %+v, want the event back with 1 failed attempt", ns)
			}
			host := strings.TrimPrefix(target.URL, "http://")
			want := "redirect to " + host + " refused"
			for where, s := range map[string]string{"last_error": ns[0].LastError, "log": logs.String()} {
				if !strings.Contains(s, want) {
					t.Errorf("%s = %q, want it to say %q", where, s, want)
				}
				if strings.Contains(s, leak) || strings.Contains(s, "/elsewhere") {
					t.Errorf("%s = %q holds the redirect's full Location", where, s)
				}
			}
		})
	}
}

// TestDelivererHangingReceiverDoesNotDelayOthers checks that a receiver
// that never answers one event does not hold back the other events.
func TestDelivererHangingReceiverDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	for range 3 {
		revokeOne(t, st, clk)
	}
	release := make(chan struct{})
	delivered := make(chan string, 10)
	var mu sync.Mutex
	hung := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(webhook.HeaderWebhookID)
		mu.Lock()
		if hung == "" {
			hung = id
		}
		hang := id == hung
		mu.Unlock()
		if hang {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		delivered <- id
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: the hanging handler returns
	key, _ := webhook.ParseSecret(testSecret)
	d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: srv.URL, Secret: key, Now: clk.Now,
		Logger: zerolog.Nop(), Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	timeout := time.After(3 * time.Second)
	for i := range 2 {
		select {
		case <-delivered:
		case <-timeout:
			t.Fatalf("%d of the 2 other events delivered while one receiver call hangs", i)
		}
	}
}

func TestDelivererLeavesCallersClientAlone(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	revokeOne(t, st, clk)
	target := newReceiver(t)
	redirector := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	client := &http.Client{Timeout: 5 * time.Second}
	key, _ := webhook.ParseSecret(testSecret)
	d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: redirector.URL, Secret: key, Client: client,
		Now: clk.Now, Logger: zerolog.Nop()})
	deliverOnce(t, d)
	if got := target.deliveries(); len(got) != 0 {
		t.Errorf("an injected client followed the redirect: its target got %d requests", len(got))
	}
	if client.CheckRedirect != nil {
		t.Error("NewDeliverer changed the caller's client")
	}
}

// slowReceiver holds every request until release is closed (or the
// client gives up), and records how many were in flight at once, overall
// and per webhook-id.
type slowReceiver struct {
	*httptest.Server
	release chan struct{}

	mu          sync.Mutex
	inflight    int
	maxInflight int
	perID       map[string]int
	maxPerID    int
	requests    int
	answered    int
}

func newSlowReceiver(t *testing.T) *slowReceiver {
	t.Helper()
	r := &slowReceiver{release: make(chan struct{}), perID: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	t.Cleanup(r.Release) // runs first: Close waits for the handlers
	return r
}

func (r *slowReceiver) serve(w http.ResponseWriter, req *http.Request) {
	id := req.Header.Get(webhook.HeaderWebhookID)
	r.mu.Lock()
	r.requests++
	r.inflight++
	r.perID[id]++
	r.maxInflight, r.maxPerID = max(r.maxInflight, r.inflight), max(r.maxPerID, r.perID[id])
	r.mu.Unlock()
	select {
	case <-r.release:
	case <-req.Context().Done():
	}
	r.mu.Lock()
	r.inflight--
	r.perID[id]--
	if req.Context().Err() == nil {
		r.answered++
	}
	r.mu.Unlock()
}

// Release lets every held and later request through.
func (r *slowReceiver) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.release:
	default:
		close(r.release)
	}
}

// stats returns the counters: requests in flight now, most at once, most
// at once for one webhook-id, all requests.
func (r *slowReceiver) stats() (inflight, maxInflight, maxPerID, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight, r.maxInflight, r.maxPerID, r.requests
}

// waitUntil polls cond for up to 5 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// runDeliverer runs d until the test ends.
func runDeliverer(t *testing.T, d *webhook.Deliverer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

// TestDelivererAttemptTimeout checks that an attempt that gets no answer
// fails after the attempt timeout, or before the claim's lease runs out
// when that comes first, and is recorded for a retry.
func TestDelivererAttemptTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lease   time.Duration
		timeout time.Duration
		want    string
	}{
		{"attempt timeout", time.Minute, 200 * time.Millisecond, "no answer within 200ms"},
		{"lease shorter", time.Second, time.Minute, "no answer within 800ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
			revokeOne(t, st, clk)
			rcv := newSlowReceiver(t)
			key, _ := webhook.ParseSecret(testSecret)
			d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: rcv.URL, Secret: key, Now: clk.Now,
				Logger: zerolog.Nop(), Lease: tc.lease, AttemptTimeout: tc.timeout,
				Backoff: func(int) time.Duration { return 10 * time.Second }})
			start := time.Now()
			deliverOnce(t, d)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("DeliverOnce took %v against a silent receiver", took)
			}
			clk.Add(10 * time.Second)
			ns, err := st.ClaimNotifications(context.Background(), clk.Now(), 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != 1 || ns[0].Attempts != 1 || !strings.Contains(ns[0].LastError, tc.want) {
				t.Errorf("outbox = %+v, want one failed attempt saying %q", ns, tc.want)
			}
		})
	}
}

// TestDelivererBoundsParallelism checks that no more than Workers
// deliveries are in flight, and that all are delivered once answered.
func TestDelivererBoundsParallelism(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	for range 5 {
		revokeOne(t, st, clk)
	}
	rcv := newSlowReceiver(t)
	key, _ := webhook.ParseSecret(testSecret)
	d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: rcv.URL, Secret: key, Now: clk.Now,
		Logger: zerolog.Nop(), Poll: 10 * time.Millisecond, Workers: 2, AttemptTimeout: time.Minute})
	runDeliverer(t, d)
	waitUntil(t, "2 deliveries are in flight", func() bool { n, _, _, _ := rcv.stats(); return n == 2 })
	time.Sleep(100 * time.Millisecond) // time for a third, were it allowed
	rcv.Release()
	waitUntil(t, "5 requests are answered", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return rcv.answered == 5
	})
	_, most, _, requests := rcv.stats()
	if most != 2 || requests != 5 {
		t.Errorf("%d requests, at most %d at once; want 5, at most 2", requests, most)
	}
}

// claimSpy reports each claimed notification's id on claimed.
type claimSpy struct {
	store.Store
	claimed chan string
}

func (s *claimSpy) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Notification, error) {
	ns, err := s.Store.ClaimNotifications(ctx, now, limit, lease)
	for _, n := range ns {
		select {
		case s.claimed <- n.ID:
		default:
		}
	}
	return ns, err
}

// nextClaim returns the next claimed id, waiting up to 5 seconds.
func nextClaim(t *testing.T, claimed <-chan string) string {
	t.Helper()
	select {
	case id := <-claimed:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("no claim in time")
		return ""
	}
}

// TestDelivererNeverSendsOneEventTwiceAtOnce checks that a notification
// claimed again while this deliverer is still sending it (its lease ran
// out: here the clock jumps) is not sent a second time concurrently.
func TestDelivererNeverSendsOneEventTwiceAtOnce(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := &claimSpy{Store: openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk), claimed: make(chan string, 100)}
	revokeOne(t, st, clk)
	rcv := newSlowReceiver(t)
	key, _ := webhook.ParseSecret(testSecret)
	d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: rcv.URL, Secret: key, Now: clk.Now,
		Logger: zerolog.Nop(), Poll: 10 * time.Millisecond, Lease: time.Minute, AttemptTimeout: time.Minute})
	runDeliverer(t, d)
	id := nextClaim(t, st.claimed)
	waitUntil(t, "the event is in flight", func() bool { n, _, _, _ := rcv.stats(); return n == 1 })
	clk.Add(2 * time.Minute)
	for nextClaim(t, st.claimed) != id {
	}
	time.Sleep(50 * time.Millisecond) // time for a second request, were it sent
	if _, _, perID, requests := rcv.stats(); perID != 1 || requests != 1 {
		t.Errorf("%d requests, up to %d at once for one event; want 1", requests, perID)
	}
}

// countingTransport counts the response body bytes its caller reads.
type countingTransport struct {
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = countingBody{resp.Body, &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestDelivererReadsLittleOfTheAnswer checks that a receiver's long answer
// is not read to its end.
func TestDelivererReadsLittleOfTheAnswer(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "lg.db"), clk)
	revokeOne(t, st, clk)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20))
	}))
	t.Cleanup(srv.Close)
	tr := &countingTransport{}
	key, _ := webhook.ParseSecret(testSecret)
	d := webhook.NewDeliverer(st, webhook.DelivererOptions{URL: srv.URL, Secret: key, Now: clk.Now,
		Logger: zerolog.Nop(), Client: &http.Client{Transport: tr}})
	deliverOnce(t, d)
	if got := tr.read.Load(); got > 8<<10 {
		t.Errorf("read %d bytes of a 1 MiB answer, want at most a few KiB", got)
	}
	clk.Add(time.Hour)
	if n := deliverOnce(t, d); n != 0 {
		t.Errorf("claimed %d after a 200 answer, want 0 (delivered)", n)
	}
}

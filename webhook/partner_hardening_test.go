package webhook_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/webhook"
)

const partnerPath = "/v1/github/secret-scanning"

// fillerBody is a request body of n bytes made up as they are read, so
// that a test can send large bodies without holding them. It counts the
// bytes read and, when gate is set, blocks its first read until gate is
// closed (after closing started).
type fillerBody struct {
	left    int64
	read    atomic.Int64
	gate    chan struct{}
	started chan struct{}
	once    sync.Once
}

func newFiller(n int64) *fillerBody { return &fillerBody{left: n} }

// gated returns a filler whose first read waits for release.
func gated(n int64) *fillerBody {
	f := newFiller(n)
	f.gate, f.started = make(chan struct{}), make(chan struct{})
	return f
}

func (f *fillerBody) release() { close(f.gate) }

func (f *fillerBody) Read(p []byte) (int, error) {
	if f.gate != nil {
		f.once.Do(func() { close(f.started) })
		<-f.gate
	}
	if f.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.left))
	for i := range p[:n] {
		p[i] = 'a'
	}
	f.left -= int64(n)
	f.read.Add(int64(n))
	return n, nil
}

// partnerRequest is a partner POST of body for a handler called in
// process; contentLength -1 means chunked (no declared length).
func partnerRequest(body io.Reader, contentLength int64, keyID, sig string) *http.Request {
	req := httptest.NewRequest("POST", partnerPath, body)
	req.ContentLength = contentLength
	req.Header.Set("Github-Public-Key-Identifier", keyID)
	req.Header.Set("Github-Public-Key-Signature", sig)
	return req
}

// TestPartnerUnknownKeyBodyNeverRead: many concurrent large posts under
// an unknown key identifier are refused 401 without a byte of their
// bodies read, declared length or not, with one key fetch between them.
func TestPartnerUnknownKeyBodyNeverRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	sig := e.signer.Sign(t, []byte("anything")) // well formed, wrong key
	const posts, size = 50, 5 << 20
	var wg sync.WaitGroup
	for i := range posts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := newFiller(size)
			cl := int64(size)
			if i%2 == 1 {
				cl = -1
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, partnerRequest(body, cl, fmt.Sprintf("no-such-key-%d", i), sig))
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("post %d: status %d, want 401 (%s)", i, rec.Code, rec.Body)
			}
			if n := body.read.Load(); n != 0 {
				t.Errorf("post %d (content length %d): %d body bytes read before the key was known, want 0", i, cl, n)
			}
		}()
	}
	wg.Wait()
	if got := e.keys.hits.Load(); got != 1 {
		t.Errorf("key fetches = %d, want 1", got)
	}
}

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// wantRetryable checks a 503 with a Retry-After of 1 to max seconds.
func wantRetryable(t *testing.T, what string, resp *http.Response, body []byte, maxSeconds int) {
	t.Helper()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("%s: status %d, want 503 (%s)", what, resp.StatusCode, body)
	}
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > maxSeconds {
		t.Errorf("%s: Retry-After %q, want 1..%d seconds", what, resp.Header.Get("Retry-After"), maxSeconds)
	}
}

// TestPartnerKeysDownIsRetryable: while the key list cannot be fetched, a
// correctly signed batch whose key is not cached is answered 503 with
// Retry-After, never 401 (GitHub does not resend a refused batch). 401 is
// only for an identifier absent from a list actually fetched.
func TestPartnerKeysDownIsRetryable(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	e := newEnv(t, func(c *webhook.Config) { c.Now = clk.Now })
	body := batch(t, item("not-ours", ""))

	e.keys.fail.Store(true)
	resp, out := e.postSigned(t, body)
	wantRetryable(t, "first fetch fails", resp, out, 5)
	e.keys.fail.Store(false)
	resp, out = e.postSigned(t, body)
	wantRetryable(t, "keys URL back, refetch not due yet", resp, out, 5)
	clk.Advance(5 * time.Second)
	resp, out = e.postSigned(t, body)
	wantStatus(t, resp, out, http.StatusOK)

	// A failed refetch keeps the cached keys and does not turn a new
	// identifier into a 401.
	clk.Advance(time.Minute)
	e.keys.fail.Store(true)
	late := newSigner(t, e.keys, "late-key")
	lateSig := late.Sign(t, body)
	resp, out = e.post(t, body, late.ID, lateSig)
	wantRetryable(t, "new key, refetch fails", resp, out, 5)
	resp, out = e.postSigned(t, body)
	wantStatus(t, resp, out, http.StatusOK)
	clk.Advance(2 * time.Second)
	resp, out = e.post(t, body, late.ID, lateSig)
	wantRetryable(t, "new key, refetch not due yet", resp, out, 3)
	e.keys.fail.Store(false)
	clk.Advance(3 * time.Second)
	resp, out = e.post(t, body, late.ID, lateSig)
	wantStatus(t, resp, out, http.StatusOK)

	resp, out = e.post(t, body, "absent-from-the-list", lateSig)
	wantStatus(t, resp, out, http.StatusUnauthorized)
	if code := errorCode(t, out); code != "bad_signature" {
		t.Errorf("absent key: code %s", code)
	}
	if got := e.keys.hits.Load(); got != 4 {
		t.Errorf("key fetches = %d, want 4", got)
	}
}

// sizedBatch is a batch of exactly n bytes (n >= 64).
func sizedBatch(t *testing.T, n int) []byte {
	t.Helper()
	b := batch(t, item("not-ours", ""))
	pad := n - len(b)
	if pad < 0 {
		t.Fatalf("batch of %d bytes cannot be made", n)
	}
	b = batch(t, item("not-ours", strings.Repeat("u", pad)))
	if len(b) != n {
		t.Fatalf("sizedBatch: %d bytes, want %d", len(b), n)
	}
	return b
}

// onlyReader hides a reader's length so the client sends it chunked.
type onlyReader struct{ io.Reader }

// TestPartnerBodySizes: signed batches around the read chunk size and the
// batch cap verify with and without a declared length; one byte over the
// cap is 413 either way.
func TestPartnerBodySizes(t *testing.T) {
	t.Parallel()
	const maxBatch = 100 << 10
	e := newEnv(t, func(c *webhook.Config) { c.MaxBatchBytes = maxBatch })
	for _, n := range []int{100, 32<<10 - 1, 32 << 10, 32<<10 + 1, 64 << 10, maxBatch, maxBatch + 1} {
		body := sizedBatch(t, n)
		sig := e.signer.Sign(t, body)
		want := http.StatusOK
		if n > maxBatch {
			want = http.StatusRequestEntityTooLarge
		}
		for _, chunked := range []bool{false, true} {
			var rd io.Reader = bytes.NewReader(body)
			if chunked {
				rd = onlyReader{rd}
			}
			req, err := http.NewRequest("POST", e.ts.URL+partnerPath, rd)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Github-Public-Key-Identifier", e.signer.ID)
			req.Header.Set("Github-Public-Key-Signature", sig)
			resp, out := e.do(t, req)
			if resp.StatusCode != want {
				t.Errorf("%d bytes (chunked %v): status %d, want %d (%.200s)", n, chunked, resp.StatusCode, want, out)
			}
		}
	}
}

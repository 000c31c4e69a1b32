package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leakguard/leakguard/webhook"
)

// TestPartnerInFlightBudget: while batches hold the whole in-flight
// budget, another batch under a known key is answered 503 with
// Retry-After before a byte of it is read, declared length or not; once
// they are done, batches are taken again.
func TestPartnerInFlightBudget(t *testing.T) {
	t.Parallel()
	const maxBatch = 256 << 10
	e := newEnv(t, func(c *webhook.Config) {
		c.MaxBatchBytes = maxBatch
		c.MaxPartnerInFlightBytes = 2 * maxBatch
	})
	resp, out := e.postSigned(t, batch(t, item("not-ours", ""))) // caches the key
	wantStatus(t, resp, out, http.StatusOK)
	badSig := e.signer.Sign(t, []byte("another body"))

	holders := []*fillerBody{gated(maxBatch), gated(maxBatch)}
	done := make(chan int, len(holders))
	for _, h := range holders {
		go func() {
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, partnerRequest(h, maxBatch, e.signer.ID, badSig))
			done <- rec.Code
		}()
		<-h.started // its share of the budget is reserved
	}

	for _, cl := range []int64{1 << 10, -1} {
		body := newFiller(1 << 10)
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, partnerRequest(body, cl, e.signer.ID, badSig))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("content length %d over the budget: status %d, Retry-After %q; want 503 with Retry-After (%s)",
				cl, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
		if n := body.read.Load(); n != 0 {
			t.Errorf("content length %d over the budget: %d bytes read, want 0", cl, n)
		}
	}

	for _, h := range holders {
		h.release()
	}
	for range holders {
		if code := <-done; code != http.StatusUnauthorized {
			t.Errorf("holder: status %d, want 401 (bad signature)", code)
		}
	}
	body := sizedBatch(t, maxBatch)
	resp, out = e.postSigned(t, body)
	wantStatus(t, resp, out, http.StatusOK)
}

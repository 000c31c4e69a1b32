package webhook

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/leakguard/leakguard/internal/budget"
	"github.com/leakguard/leakguard/store"
)

// ErrBusy means the partner endpoints already hold as many batch bytes as
// Config.MaxPartnerInFlightBytes allows. It is answered 503 with
// Retry-After, not 429: GitHub retries a batch refused with a 5xx, and a
// batch it does not retry is a lost leak report. It wraps
// store.ErrUnavailable, whose errorTable entry gives it that status.
var ErrBusy = fmt.Errorf("partner batches in flight at capacity: %w", store.ErrUnavailable)

// partnerRetryAfter is the Retry-After of a partner 503 whose error names
// no better time (ErrBusy, a store that is down). In-flight batches are
// read within the server's read timeout, most within milliseconds.
const partnerRetryAfter = 5 * time.Second

// retryAfterError is a retryable error that knows when to retry.
type retryAfterError interface {
	error
	RetryAfter() time.Duration
}

// retryAfterHeader is the Retry-After value (whole seconds, at least 1)
// for a partner 503 caused by err.
func retryAfterHeader(err error) string {
	d := partnerRetryAfter
	var ra retryAfterError
	if errors.As(err, &ra) {
		d = ra.RetryAfter()
	}
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// reservation is one request's share of the partner byte budget, grown
// as the request needs more and released once when it ends. It never
// waits: growth that does not fit fails at once, so a request over the
// budget is refused before it reads anything.
type reservation struct {
	budget *budget.Bytes
	held   int64
}

// growTo makes the reservation at least n bytes and reports whether the
// budget had room.
func (r *reservation) growTo(n int64) bool {
	if n <= r.held {
		return true
	}
	if !r.budget.TryAcquire(n - r.held) {
		return false
	}
	r.held = n
	return true
}

// release gives every reserved byte back.
func (r *reservation) release() {
	r.budget.Release(r.held)
	r.held = 0
}

// partnerBudget returns the byte budget shared by all of s's partner
// endpoints, creating it on first use. New calls it (through
// partnerHandler) before the server serves anything, so no lock is needed.
func (s *Server) partnerBudget() *budget.Bytes {
	if s.partnerInFlight == nil {
		limit := s.cfg.MaxPartnerInFlightBytes
		if limit <= 0 {
			limit = DefaultMaxPartnerInFlightBytes
		}
		// A full-size batch must fit an idle budget.
		s.partnerInFlight = budget.New(max(limit, chunkBytes(s.cfg.MaxBatchBytes)))
	}
	return s.partnerInFlight
}

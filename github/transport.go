package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	ctxwait "github.com/leakguard/leakguard/internal/wait" // the package declares its own wait
	"github.com/leakguard/leakguard/patterns"
	"github.com/rs/zerolog"
)

// Sleeper waits for d, or returns ctx's error when it ends first.
type Sleeper func(ctx context.Context, d time.Duration) error

// SleepContext is the real Sleeper.
func SleepContext(ctx context.Context, d time.Duration) error { return ctxwait.Sleep(ctx, d) }

// AuthTransport sets "Authorization: Bearer <token>" on requests to Host
// only, so a redirect elsewhere never carries the token.
type AuthTransport struct {
	Next  http.RoundTripper // nil: http.DefaultTransport
	Token patterns.Secret
	Host  string // host[:port] of the API
}

// RoundTrip implements http.RoundTripper.
func (t *AuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if t.Token.IsZero() || !strings.EqualFold(req.URL.Host, t.Host) {
		return next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.Token.Reveal())
	return next.RoundTrip(req)
}

// ErrResponseTooLarge is a response body over BodyLimitTransport's cap.
var ErrResponseTooLarge = errors.New("github: response too large")

// BodyLimitTransport caps every response body at Max bytes, so that no
// response (a page that never ends, an error body go-github reads whole)
// can make leakguard hold more. A declared Content-Length over Max fails
// the round trip before the body is read; a body that runs past Max fails
// the read that passes it, and every read after, with ErrResponseTooLarge
// (never a clean end a decoder would take for the whole body) and closes
// the connection.
type BodyLimitTransport struct {
	Next http.RoundTripper // nil: http.DefaultTransport
	Max  int64
}

// RoundTrip implements http.RoundTripper.
func (t *BodyLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	tooLarge := fmt.Errorf("%w: %s %s: more than %d bytes", ErrResponseTooLarge, req.Method, req.URL.Path, t.Max)
	if resp.ContentLength > t.Max {
		resp.Body.Close()
		return nil, tooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.Max, err: tooLarge}
	return resp, nil
}

// limitedBody reads rc until left runs out, then fails with err, for good,
// if rc has more.
type limitedBody struct {
	rc     io.ReadCloser
	left   int64
	err    error
	failed bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.failed {
		return 0, b.err
	}
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			// Close now: go-github replaces an error response's body
			// without closing it, which would hold the connection open.
			b.failed = true
			b.rc.Close()
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Wait describes one rate-limit wait, for logs, progress and tests.
type Wait struct {
	Reason string        // "primary", "secondary" or "retry-after"
	For    time.Duration // how long
	Path   string        // the request's URL path
}

// RateLimitTransport waits out GitHub's rate limits instead of failing:
// before a request while the primary budget is spent (until
// x-ratelimit-reset), and after a 403/429 that is a rate limit (Retry-After,
// x-ratelimit-remaining: 0, or a secondary-limit message), retrying the
// request. It is safe for concurrent use.
type RateLimitTransport struct {
	Next    http.RoundTripper // nil: http.DefaultTransport
	Now     func() time.Time  // nil: time.Now
	Sleep   Sleeper           // nil: SleepContext
	Log     zerolog.Logger
	MaxWait time.Duration // cap of one wait (0: one hour)
	OnWait  func(Wait)    // optional observer

	mu       sync.Mutex
	resumeAt time.Time // no request before this
	strikes  int       // consecutive secondary limits without Retry-After
}

// RoundTrip implements http.RoundTripper.
func (t *RateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if err := t.waitResume(req); err != nil {
			return nil, err
		}
		r := req
		if attempt > 0 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := t.next().RoundTrip(r)
		if err != nil {
			return nil, err
		}
		w, limited := t.observe(resp)
		if !limited {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		w.Path = req.URL.Path
		if err := t.wait(req.Context(), w); err != nil {
			return nil, err
		}
	}
}

func (t *RateLimitTransport) next() http.RoundTripper {
	if t.Next == nil {
		return http.DefaultTransport
	}
	return t.Next
}

func (t *RateLimitTransport) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// waitResume sleeps until a spent primary budget resets.
func (t *RateLimitTransport) waitResume(req *http.Request) error {
	t.mu.Lock()
	d := t.resumeAt.Sub(t.now())
	t.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return t.wait(req.Context(), Wait{Reason: "primary", For: d, Path: req.URL.Path})
}

// wait logs, reports and sleeps one wait, capped at MaxWait.
func (t *RateLimitTransport) wait(ctx context.Context, w Wait) error {
	maxWait := t.MaxWait
	if maxWait <= 0 {
		maxWait = time.Hour
	}
	w.For = min(max(w.For, time.Second), maxWait)
	t.Log.Info().Str("reason", w.Reason).Dur("wait", w.For).Str("path", w.Path).Msg("GitHub rate limit: waiting")
	if t.OnWait != nil {
		t.OnWait(w)
	}
	sleep := t.Sleep
	if sleep == nil {
		sleep = SleepContext
	}
	if err := sleep(ctx, w.For); err != nil {
		return fmt.Errorf("github: waiting for rate limit: %w", err)
	}
	t.mu.Lock()
	if !t.resumeAt.After(t.now()) {
		t.resumeAt = time.Time{}
	}
	t.mu.Unlock()
	return nil
}

// observe records the response's budget and reports whether it is a rate
// limit to wait out (and for how long). A spent budget on a successful
// response is hidden from go-github (its reset header dropped), since this
// transport waits before the next request itself.
func (t *RateLimitTransport) observe(resp *http.Response) (Wait, bool) {
	now := t.now()
	reset, hasReset := parseUnix(resp.Header.Get("X-RateLimit-Reset"))
	spent := resp.Header.Get("X-RateLimit-Remaining") == "0"
	t.mu.Lock()
	defer t.mu.Unlock()
	if spent && hasReset && reset.After(t.resumeAt) {
		t.resumeAt = reset.Add(time.Second)
	}
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		t.strikes = 0
		if spent {
			resp.Header.Del("X-RateLimit-Reset")
		}
		return Wait{}, false
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
		return Wait{Reason: "retry-after", For: d}, true
	}
	if spent && hasReset {
		t.resumeAt = time.Time{} // the wait below covers it
		return Wait{Reason: "primary", For: reset.Sub(now) + time.Second}, true
	}
	if resp.StatusCode == http.StatusTooManyRequests || secondaryMessage(resp) {
		t.strikes++
		return Wait{Reason: "secondary", For: time.Minute << min(t.strikes-1, 5)}, true
	}
	return Wait{}, false
}

// secondaryMessage reports whether a 403's body says it is a secondary
// (abuse) rate limit; the body is restored for the caller.
func secondaryMessage(resp *http.Response) bool {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	s := strings.ToLower(string(body))
	return strings.Contains(s, "secondary rate limit") || strings.Contains(s, "abuse")
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return at.Sub(now), true
	}
	return 0, false
}

func parseUnix(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// rewind returns a copy of req with a fresh body for a retry.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("github: %s %s: cannot retry a request whose body cannot be replayed", req.Method, req.URL.Path)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("github: %s %s: replay body: %w", req.Method, req.URL.Path, err)
	}
	r.Body = body
	return r, nil
}

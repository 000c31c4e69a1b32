package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/leakguard/leakguard/store"
)

// errRedirect stops the delivery client at a redirect: the 3xx answer is
// returned as it is and counts as a failed delivery. Following it would
// send the signed event wherever the receiver points (internal addresses
// included), or turn it into a bodiless GET that looks delivered.
var errRedirect = http.ErrUseLastResponse

// noRedirects returns a copy of c (nil: a client with the default attempt
// timeout) that never follows redirects. c itself is not changed.
func noRedirects(c *http.Client) *http.Client {
	cp := http.Client{Timeout: defaultAttemptTimeout}
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }
	return &cp
}

// deliver attempts one notification claimed with a lease ending at
// leaseEnd and records the outcome. Only store errors are returned; a
// failed POST is recorded with MarkFailed.
func (d *Deliverer) deliver(ctx context.Context, n store.Notification, leaseEnd time.Time) error {
	if !d.begin(n.ID) {
		d.log.Debug().Str("webhook_id", n.ID).Msg("event still being sent: claimed again, skipped")
		return nil
	}
	defer d.end(n.ID)
	timeout := min(d.opts.AttemptTimeout, leaseEnd.Add(-d.opts.Lease/5).Sub(d.opts.Now()))
	if timeout <= 0 {
		d.log.Debug().Str("webhook_id", n.ID).Msg("claim too close to its lease's end: left for the next claim")
		return nil
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	perr := d.post(actx, n, timeout)
	cancel()
	if perr == nil {
		if err := d.st.MarkDelivered(ctx, n.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("webhook: mark %s delivered: %w", n.ID, err)
		}
		d.log.Info().Str("webhook_id", n.ID).Str("type", n.Type).Int("attempt", n.Attempts+1).Msg("event delivered")
		return nil
	}
	if ctx.Err() != nil {
		return nil // shutting down: the lease expires and it is retried
	}
	next := d.opts.Now().Add(d.opts.Backoff(n.Attempts + 1))
	d.log.Warn().Str("webhook_id", n.ID).Str("type", n.Type).Int("attempt", n.Attempts+1).
		Time("next_attempt", next).Str("error", perr.Error()).Msg("event delivery failed")
	if err := d.st.MarkFailed(ctx, n.ID, next, perr.Error()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("webhook: mark %s failed: %w", n.ID, err)
	}
	return nil
}

// begin records that id is being sent; false if it already is (its claim
// outlived its lease, say after the clock jumped, and it was claimed
// again).
func (d *Deliverer) begin(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[id] {
		return false
	}
	d.inflight[id] = true
	return true
}

// end records that id is no longer being sent.
func (d *Deliverer) end(id string) {
	d.mu.Lock()
	delete(d.inflight, id)
	d.mu.Unlock()
}

// post sends one signed notification; any answer but 2xx is an error.
// Errors name the receiver's host only: the URL's path or query may hold
// a secret, and so may a redirect's Location. Nothing the receiver sends
// (body, reason phrase) ends up in them either.
func (d *Deliverer) post(ctx context.Context, n store.Notification, timeout time.Duration) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.opts.URL, bytes.NewReader(n.Payload))
	if err != nil {
		return errors.New("build request: invalid URL")
	}
	ts := d.opts.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leakguard-webhooks")
	req.Header.Set(HeaderWebhookID, n.ID)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderWebhookSignature, Sign(d.opts.Secret, n.ID, ts, n.Payload))
	resp, err := d.opts.Client.Do(req)
	if err != nil {
		return d.requestError(err, timeout)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	code := resp.StatusCode
	answered := strconv.Itoa(code) + " " + http.StatusText(code)
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code >= 300 && code <= 399:
		return fmt.Errorf("post to %s: receiver answered %s: %s", d.host, answered, redirectRefused(resp))
	default:
		return fmt.Errorf("post to %s: receiver answered %s", d.host, answered)
	}
}

// requestError is a failed request's error without the URL that
// url.Error carries.
func (d *Deliverer) requestError(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("post to %s: no answer within %v", d.host, timeout)
	}
	return fmt.Errorf("post to %s: %w", d.host, err)
}

// redirectRefused says where a 3xx answer pointed: its Location's host,
// never the whole Location, which may carry a secret.
func redirectRefused(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil || loc.Host == "" {
		return "redirect refused"
	}
	return "redirect to " + printable(loc.Host, 255) + " refused"
}

// printable is s without non-printing characters, cut to at most n bytes.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

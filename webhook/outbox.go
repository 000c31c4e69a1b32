package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
)

// Standard Webhooks headers (https://www.standardwebhooks.com/).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// SecretPrefix is the Standard Webhooks prefix of a signing secret.
const SecretPrefix = "whsec_"

// Deliverer defaults.
const (
	defaultBatch    = 16
	defaultLease    = 2 * time.Minute
	defaultPoll     = 2 * time.Second
	defaultTimeout  = 10 * time.Second
	maxBackoff      = time.Hour
	baseBackoff     = 5 * time.Second
	maxResponseRead = 64 << 10
)

// ParseSecret decodes a Standard Webhooks signing secret: "whsec_" followed
// by the base64 of the key bytes (the prefix is optional). The key must be
// 24 to 64 bytes.
func ParseSecret(s string) ([]byte, error) {
	b64 := strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: want %s<base64>: %w", SecretPrefix, err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook secret: key is %d bytes, want 24 to 64", len(key))
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature header value for a message:
// "v1," and the base64 HMAC-SHA256, keyed with key, of "id.timestamp.body".
func Sign(key []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a Standard Webhooks signature header (a space
// separated list of "v1,<base64>" entries) against the message, in constant
// time per entry. It does not check the timestamp's age.
func VerifySignature(key []byte, id string, ts int64, body []byte, header string) bool {
	want := Sign(key, id, ts, body)
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// DelivererOptions configures a Deliverer.
type DelivererOptions struct {
	URL    string           // required: where events are POSTed (--notify-url)
	Secret []byte           // HMAC key: the decoded bytes of a whsec_ secret (ParseSecret)
	Client *http.Client     // nil: a client with a 10s timeout
	Now    func() time.Time // nil: time.Now
	Logger zerolog.Logger
	// Backoff returns the delay before attempt n+1 after n failed attempts
	// (n >= 1). Nil: exponential from 5s, doubling, capped at 1h, with
	// jitter (a random delay between half and all of it).
	Backoff func(attempts int) time.Duration
	Batch   int           // notifications claimed at once (0: 16)
	Lease   time.Duration // how long a claim hides a notification from other deliverers (0: 2m)
	Poll    time.Duration // idle wait between empty claims (0: 2s)
}

// Deliverer sends the durable outbox's notifications to one URL, signed the
// Standard Webhooks way, at least once: a notification leaves the outbox
// only after a 2xx answer; failures are retried with backoff; a crash
// mid-delivery leaves it claimed until its lease runs out, and then another
// (or the restarted) deliverer sends it again. Receivers deduplicate by
// webhook-id.
type Deliverer struct {
	st   store.Store
	opts DelivererOptions
	log  zerolog.Logger
}

// NewDeliverer returns a Deliverer reading st's outbox.
func NewDeliverer(st store.Store, opts DelivererOptions) *Deliverer {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: defaultTimeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Batch <= 0 {
		opts.Batch = defaultBatch
	}
	if opts.Lease <= 0 {
		opts.Lease = defaultLease
	}
	if opts.Poll <= 0 {
		opts.Poll = defaultPoll
	}
	return &Deliverer{st: st, opts: opts, log: opts.Logger}
}

// DefaultBackoff is the delay after n failed attempts: 5s·2^(n-1), capped at
// one hour, jittered to between half and all of it.
func DefaultBackoff(attempts int) time.Duration {
	d := maxBackoff
	if attempts >= 1 && attempts <= 20 {
		d = min(baseBackoff<<(attempts-1), maxBackoff)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// Run delivers until ctx is done, then returns nil. Store errors are
// logged and retried after the poll interval; they do not stop Run.
func (d *Deliverer) Run(ctx context.Context) error {
	if d.opts.URL == "" {
		return errors.New("webhook deliverer: no URL")
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := d.DeliverOnce(ctx)
		wait := d.opts.Poll
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Warn().Err(err).Msg("outbox delivery")
		case n == d.opts.Batch:
			wait = 0 // a full batch: more may be due
		}
		t.Reset(wait)
	}
}

// DeliverOnce claims one batch of due notifications and attempts each once.
// It returns how many it claimed.
func (d *Deliverer) DeliverOnce(ctx context.Context) (int, error) {
	ns, err := d.st.ClaimNotifications(ctx, d.opts.Now(), d.opts.Batch, d.opts.Lease)
	if err != nil {
		return 0, fmt.Errorf("webhook: claim notifications: %w", err)
	}
	for _, n := range ns {
		if err := d.deliver(ctx, n); err != nil {
			return len(ns), err
		}
	}
	return len(ns), nil
}

// deliver attempts one notification and records the outcome. Only store
// errors are returned; a failed POST is recorded with MarkFailed.
func (d *Deliverer) deliver(ctx context.Context, n store.Notification) error {
	perr := d.post(ctx, n)
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

// post sends one signed notification; any non-2xx answer is an error.
func (d *Deliverer) post(ctx context.Context, n store.Notification) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.opts.URL, bytes.NewReader(n.Payload))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	ts := d.opts.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leakguard-webhooks")
	req.Header.Set(HeaderWebhookID, n.ID)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderWebhookSignature, Sign(d.opts.Secret, n.ID, ts, n.Payload))
	resp, err := d.opts.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post: receiver answered %s", resp.Status)
	}
	return nil
}

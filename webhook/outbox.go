package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
	defaultBatch          = 16
	defaultLease          = 2 * time.Minute
	defaultPoll           = 2 * time.Second
	defaultWorkers        = 4
	defaultAttemptTimeout = 10 * time.Second
	maxBackoff            = time.Hour
	baseBackoff           = 5 * time.Second
	maxResponseRead       = 4 << 10 // bytes of a receiver's answer drained, at most
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
	URL    string // required: where events are POSTed (--notify-url)
	Secret []byte // HMAC key: the decoded bytes of a whsec_ secret (ParseSecret)
	// Client sends the events (nil: a client with a 10s timeout). The
	// Deliverer uses a copy that never follows redirects; Client itself
	// is left as it is.
	Client *http.Client
	Now    func() time.Time // nil: time.Now
	Logger zerolog.Logger
	// Backoff returns the delay before attempt n+1 after n failed attempts
	// (n >= 1). Nil: exponential from 5s, doubling, capped at 1h, with
	// jitter (a random delay between half and all of it).
	Backoff func(attempts int) time.Duration
	Batch   int           // notifications claimed at once (0: 16)
	Lease   time.Duration // how long a claim hides a notification from other deliverers (0: 2m)
	Poll    time.Duration // idle wait between empty claims (0: 2s)
	Workers int           // deliveries in flight at once (0: 4)
	// AttemptTimeout bounds one delivery attempt, the answer included
	// (0: 10s). An attempt also always ends before four fifths of its
	// claim's lease have passed, so that no other deliverer can claim the
	// notification while it is still being sent.
	AttemptTimeout time.Duration
}

// Deliverer sends the durable outbox's notifications to one URL, signed the
// Standard Webhooks way, at least once: a notification leaves the outbox
// only after a 2xx answer; failures (any other answer, a redirect, no
// answer within the attempt timeout) are retried with backoff and recorded
// in the notification's LastError; a crash mid-delivery leaves it claimed
// until its lease runs out, and then another (or the restarted) deliverer
// sends it again. Receivers deduplicate by webhook-id.
//
// Up to Workers notifications are in flight at once, so a receiver that
// hangs on one event holds back only that one. A notification is never
// sent by two attempts at the same time: each attempt ends before its
// claim's lease does, and a deliverer skips a notification it is still
// sending.
type Deliverer struct {
	st   store.Store
	opts DelivererOptions
	log  zerolog.Logger
	host string // the URL's host, the only part of it in errors and logs

	mu       sync.Mutex
	inflight map[string]bool // notification ids being sent
}

// NewDeliverer returns a Deliverer reading st's outbox.
func NewDeliverer(st store.Store, opts DelivererOptions) *Deliverer {
	opts.Client = noRedirects(opts.Client)
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
	if opts.Workers <= 0 {
		opts.Workers = defaultWorkers
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = defaultAttemptTimeout
	}
	d := &Deliverer{st: st, opts: opts, log: opts.Logger, inflight: map[string]bool{}}
	if u, err := url.Parse(opts.URL); err == nil {
		d.host = u.Host
	}
	return d
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

// Run delivers until ctx is done, then waits for the attempts in flight
// (cancelled with ctx) and returns nil. It claims notifications only for
// idle workers, so none waits for a worker while its lease runs. Store
// errors are logged and retried after the poll interval; they do not stop
// Run.
func (d *Deliverer) Run(ctx context.Context) error {
	if u, err := url.Parse(d.opts.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("webhook deliverer: want an absolute http(s) URL")
	}
	slots := make(chan struct{}, d.opts.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		free := reserve(ctx, slots, min(d.opts.Batch, d.opts.Workers))
		if free == 0 {
			return nil
		}
		now := d.opts.Now()
		ns, err := d.claim(ctx, now, free)
		for range free - len(ns) {
			<-slots
		}
		for _, n := range ns {
			wg.Go(func() {
				defer func() { <-slots }()
				if err := d.deliver(ctx, n, now.Add(d.opts.Lease)); err != nil && ctx.Err() == nil {
					d.log.Warn().Err(err).Msg("outbox delivery")
				}
			})
		}
		wait := d.opts.Poll
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Warn().Err(err).Msg("outbox delivery")
		case err == nil && len(ns) == free:
			wait = 0 // every idle worker got one: more may be due
		}
		t.Reset(wait)
	}
}

// reserve takes one of slots' free places, waiting for it, then up to
// most in all if they are free now. It returns how many it took: 0 when
// ctx ends first.
func reserve(ctx context.Context, slots chan struct{}, most int) int {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	for n := 1; n < most; n++ {
		select {
		case slots <- struct{}{}:
		default:
			return n
		}
	}
	return most
}

// DeliverOnce claims one batch of due notifications, attempts each once
// (up to Workers at a time) and returns when all attempts are recorded. It
// returns how many it claimed, and the store errors met recording them.
func (d *Deliverer) DeliverOnce(ctx context.Context) (int, error) {
	now := d.opts.Now()
	ns, err := d.claim(ctx, now, d.opts.Batch)
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(ns))
	slots := make(chan struct{}, d.opts.Workers)
	var wg sync.WaitGroup
	for i, n := range ns {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = d.deliver(ctx, n, now.Add(d.opts.Lease))
		})
	}
	wg.Wait()
	return len(ns), errors.Join(errs...)
}

// claim claims up to limit notifications due at now, leased until
// now+Lease.
func (d *Deliverer) claim(ctx context.Context, now time.Time, limit int) ([]store.Notification, error) {
	ns, err := d.st.ClaimNotifications(ctx, now, limit, d.opts.Lease)
	if err != nil {
		return nil, fmt.Errorf("webhook: claim notifications: %w", err)
	}
	return ns, nil
}

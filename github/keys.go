package github

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// Key errors. Both fail closed: the batch is not looked at.
var (
	// ErrUnknownKey means the key identifier is not in the key list last
	// fetched from the partner, and no refetch is due yet (or the one just
	// made does not list it either). It is only ever returned when the last
	// fetch succeeded.
	ErrUnknownKey = errors.New("unknown public key identifier")
	// ErrKeysUnavailable means the partner's key list could not be fetched
	// (the last fetch failed and the identifier is not cached). It is
	// retryable; the error's RetryAfter method says when a new fetch will
	// be allowed.
	ErrKeysUnavailable = errors.New("public keys unavailable")
)

// MaxKeyListBytes caps a key-list response body. A longer one (declared or
// streamed) fails the fetch with ErrKeysUnavailable; it is never parsed in
// part. GitHub's list is a few kilobytes.
const MaxKeyListBytes = 1 << 20

// keysUnavailableError is ErrKeysUnavailable with its cause and the time
// until the next fetch is allowed.
type keysUnavailableError struct {
	cause      error
	retryAfter time.Duration
}

func (e *keysUnavailableError) Error() string {
	return ErrKeysUnavailable.Error() + ": " + e.cause.Error()
}

func (e *keysUnavailableError) Unwrap() error { return ErrKeysUnavailable }

// RetryAfter is the time until the key source will fetch again.
func (e *keysUnavailableError) RetryAfter() time.Duration { return e.retryAfter }

// keyList is the JSON served at a partner's keys URL.
type keyList struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// fetchCall is one key fetch in flight; waiters block on done.
type fetchCall struct {
	done chan struct{}
	err  error
}

// KeySource fetches a partner's ECDSA P-256 public keys (GitHub's list
// format, at DefaultKeysURL for GitHub itself) with a go-github client and
// caches them by identifier. An unknown identifier triggers a
// refetch at most once per MinRefetch (RetryAfterFail after a failed
// fetch), with a single fetch in flight however many requests wait. A
// failed fetch keeps the keys cached before it. The list's body is capped
// at MaxKeyListBytes, error responses included.
type KeySource struct {
	client *gh.Client
	url    string
	now    func() time.Time
	log    zerolog.Logger
	// MinRefetch is the least time between two fetches (default 1 minute).
	MinRefetch time.Duration
	// RetryAfterFail is the least time after a failed fetch (default 5 s).
	RetryAfterFail time.Duration
	// FetchTimeout bounds one fetch (default 10 s).
	FetchTimeout time.Duration
	// OnFetch, if set, is called after each fetch with its error.
	OnFetch func(err error)

	mu       sync.Mutex
	keys     map[string]*ecdsa.PublicKey
	fetchErr error     // the last fetch's error (nil: it succeeded, or none yet)
	next     time.Time // no fetch before this
	inflight *fetchCall
}

// NewKeySource returns a KeySource for the key list at url, fetched by a
// go-github client over a copy of hc (nil: a client without timeout;
// FetchTimeout bounds each fetch) whose transport caps response bodies at
// MaxKeyListBytes. hc is not modified. now may be nil (time.Now).
func NewKeySource(hc *http.Client, url string, now func() time.Time, log zerolog.Logger) *KeySource {
	if now == nil {
		now = time.Now
	}
	return &KeySource{client: cappedClient(hc, MaxKeyListBytes), url: url, now: now, log: log,
		MinRefetch: time.Minute, RetryAfterFail: 5 * time.Second, FetchTimeout: 10 * time.Second,
		keys: map[string]*ecdsa.PublicKey{}}
}

// cappedClient returns a go-github client over a copy of hc whose
// responses fail to read past limit bytes. go-github reads error responses
// whole (CheckResponse), so the cap sits in the transport, under every
// read.
func cappedClient(hc *http.Client, limit int64) *gh.Client {
	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	c.Transport = &BodyLimitTransport{Next: c.Transport, Max: limit}
	return gh.NewClient(&c)
}

// Key returns the public key with that identifier, fetching the list when
// the identifier is not cached and a fetch is allowed. Errors:
//   - ErrUnknownKey: the identifier is absent from a list actually fetched
//     (the last fetch succeeded) and no refetch is due, or the refetch just
//     made does not list it;
//   - ErrKeysUnavailable (with RetryAfter): the last fetch failed and the
//     identifier is not cached, whether this call fetched or not, so that
//     a correctly signed batch is never refused for good while the list
//     cannot be fetched;
//   - ctx's error.
func (k *KeySource) Key(ctx context.Context, id string) (*ecdsa.PublicKey, error) {
	for attempt := 0; ; attempt++ {
		k.mu.Lock()
		if key, ok := k.keys[id]; ok {
			k.mu.Unlock()
			return key, nil
		}
		if call := k.inflight; call != nil {
			k.mu.Unlock()
			if err := wait(ctx, call); err != nil {
				return nil, err
			}
			continue // re-check the cache the fetch filled
		}
		if now := k.now(); attempt > 0 || now.Before(k.next) {
			err := k.missLocked(now)
			k.mu.Unlock()
			return nil, err
		}
		call := &fetchCall{done: make(chan struct{})}
		k.inflight = call
		k.mu.Unlock()
		k.runFetch(ctx, call)
		if call.err != nil {
			return nil, call.err
		}
	}
}

// missLocked is the error for an identifier that is not cached when no
// fetch is due: ErrUnknownKey if the last fetch succeeded, else
// ErrKeysUnavailable until the next fetch is allowed. k.mu is held.
func (k *KeySource) missLocked(now time.Time) error {
	if k.fetchErr == nil {
		return ErrUnknownKey
	}
	return &keysUnavailableError{cause: k.fetchErr, retryAfter: k.next.Sub(now)}
}

// wait blocks until call finishes or ctx ends.
func wait(ctx context.Context, call *fetchCall) error {
	select {
	case <-call.done:
		if call.err != nil {
			return call.err
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runFetch performs call in the caller's goroutine, detached from the
// caller's cancellation so that waiters are not failed by one client going
// away, and publishes the result.
func (k *KeySource) runFetch(ctx context.Context, call *fetchCall) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.FetchTimeout)
	keys, err := k.fetch(fctx)
	cancel()
	k.mu.Lock()
	now := k.now()
	k.fetchErr = err
	if err != nil {
		call.err = &keysUnavailableError{cause: err, retryAfter: k.RetryAfterFail}
		k.next = now.Add(k.RetryAfterFail)
	} else {
		k.keys = keys
		k.next = now.Add(k.MinRefetch)
	}
	k.inflight = nil
	k.mu.Unlock()
	close(call.done)
	if k.OnFetch != nil {
		k.OnFetch(err)
	}
	if err != nil {
		k.log.Warn().Err(err).Str("url", k.url).Msg("public key fetch failed")
	} else {
		k.log.Info().Int("keys", len(keys)).Str("url", k.url).Msg("public keys fetched")
	}
}

// fetch downloads and parses the key list. The whole body is read (at
// most MaxKeyListBytes, by the client's transport) before it is parsed, so
// a list cut at the cap is an error, never a partial list.
func (k *KeySource) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := k.client.NewRequest("GET", k.url, nil)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	if _, err := k.client.Do(ctx, req, &body); err != nil {
		return nil, err
	}
	var list keyList
	if err := json.Unmarshal(body.Bytes(), &list); err != nil {
		return nil, fmt.Errorf("key list is not JSON: %w", err)
	}
	return parseKeyList(list)
}

// parseKeyList parses every PEM key of the list; keys that do not parse as
// ECDSA P-256 are skipped, and a list with none is an error.
func parseKeyList(list keyList) (map[string]*ecdsa.PublicKey, error) {
	keys := make(map[string]*ecdsa.PublicKey, len(list.PublicKeys))
	var bad int
	for _, pk := range list.PublicKeys {
		key, err := ParsePublicKey([]byte(pk.Key))
		if err != nil || pk.KeyIdentifier == "" {
			bad++
			continue
		}
		keys[pk.KeyIdentifier] = key
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no usable ECDSA P-256 key in list (%d unusable)", bad)
	}
	return keys, nil
}

// ParsePublicKey parses a PEM "PUBLIC KEY" block holding an ECDSA P-256 key.
func ParsePublicKey(pemBytes []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return key, nil
}

package webhook

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// Key errors. Both fail closed: the batch is not looked at.
var (
	// ErrUnknownKey means the key identifier is not in the sender's list,
	// even after a refetch.
	ErrUnknownKey = errors.New("unknown public key identifier")
	// ErrKeysUnavailable means the sender's key list could not be fetched.
	ErrKeysUnavailable = errors.New("public keys unavailable")
)

// keyList is the JSON served at a sender's keys URL.
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

// KeySource fetches a sender's ECDSA P-256 public keys with a go-github
// client and caches them by identifier. An unknown identifier triggers a
// refetch at most once per MinRefetch (RetryAfterFail after a failed
// fetch), with a single fetch in flight however many requests wait.
type KeySource struct {
	client *github.Client
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
	next     time.Time // no fetch before this
	inflight *fetchCall
}

// NewKeySource returns a KeySource for the key list at url, fetched through
// client (github.NewClient(httpClient) gives auth, rate limits and user
// agent). now may be nil (time.Now).
func NewKeySource(client *github.Client, url string, now func() time.Time, log zerolog.Logger) *KeySource {
	if now == nil {
		now = time.Now
	}
	return &KeySource{client: client, url: url, now: now, log: log, MinRefetch: time.Minute,
		RetryAfterFail: 5 * time.Second, FetchTimeout: 10 * time.Second, keys: map[string]*ecdsa.PublicKey{}}
}

// Key returns the public key with that identifier, fetching the list when
// the identifier is not cached and a fetch is allowed. Errors:
// ErrUnknownKey, ErrKeysUnavailable, or ctx's.
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
		if attempt > 0 || k.now().Before(k.next) {
			k.mu.Unlock()
			return nil, ErrUnknownKey
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
	if err != nil {
		call.err = fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
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

// fetch downloads and parses the key list.
func (k *KeySource) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := k.client.NewRequest("GET", k.url, nil)
	if err != nil {
		return nil, err
	}
	var list keyList
	if _, err := k.client.Do(ctx, req, &list); err != nil {
		return nil, err
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

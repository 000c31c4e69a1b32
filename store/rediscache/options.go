package rediscache

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/rs/zerolog"
)

// Default option values.
const (
	DefaultPrefix        = "leakguard:"
	DefaultTTL           = 5 * time.Minute
	DefaultInvalidTTL    = time.Hour
	DefaultNegativeTTL   = 30 * time.Second
	DefaultOpTimeout     = 100 * time.Millisecond
	DefaultCooldown      = time.Second
	DefaultRetryInterval = 500 * time.Millisecond
	DefaultFillMaxAge    = time.Second
	DefaultMaxPending    = 100000
	// DefaultLocalTTL is how long a valid token may answer from the near
	// cache after it was read (while the invalidation channel is live).
	DefaultLocalTTL = 5 * time.Minute
	// DefaultLocalSize caps the near cache's entries (about 700 bytes
	// each: 70 MB when full).
	DefaultLocalSize = 100000
	// DefaultChannelLease is how long the near cache is trusted after the
	// invalidation channel last proved live, and so the longest a
	// revocation waits for a process that does not acknowledge it.
	DefaultChannelLease = time.Second
	// DefaultRevocationPoll is how often the database's revocation log is
	// read (store.RevocationFeed).
	DefaultRevocationPoll = 500 * time.Millisecond
	DefaultHedgeAfter     = 20 * time.Millisecond
)

// Options configures a Cache. Exactly one of URL and Client is required;
// every other zero field takes its default.
type Options struct {
	// URL is a redis:// or rediss:// URL. The Cache builds (and closes) its
	// own client from it with short timeouts and no retries. A "prefix"
	// query parameter (redis://host:6379/0?prefix=acme:) sets the key prefix
	// when Prefix is empty.
	URL string
	// Client is a caller-owned client, used as is and not closed by Close.
	// It must have ContextTimeoutEnabled set, and should have short
	// Dial/Read/Write/Pool timeouts and MaxRetries -1.
	Client *redis.Client
	// Prefix starts every key (default "leakguard:").
	Prefix string
	// TTL is how long a valid token's entry lives (default 5 min). It is the
	// staleness bound when a revocation could not reach Redis.
	TTL time.Duration
	// InvalidTTL is how long a revoked or expired token's entry lives
	// (default 1 h); also used for id→hash pointers.
	InvalidTTL time.Duration
	// NegativeTTL is how long an unknown hash is remembered (default 30 s).
	NegativeTTL time.Duration
	// OpTimeout bounds every Redis call (default 100 ms).
	OpTimeout time.Duration
	// Cooldown is how long Redis is skipped after a failure (default 1 s).
	Cooldown time.Duration
	// RetryInterval is how often queued overwrites are retried (default 500 ms).
	RetryInterval time.Duration
	// FillMaxAge drops a fill whose database read took longer (default 1 s).
	// It must be shorter than InvalidTTL.
	FillMaxAge time.Duration
	// MaxPending caps the retry queue (default 100000).
	MaxPending int
	// LocalTTL (or the URL's local_ttl parameter, e.g. ?local_ttl=10m or
	// ?local_ttl=off) is how long a valid token read from Redis (or the
	// database) may answer lookups from this process's memory, the near
	// cache (default 5 min, like TTL; negative disables it). Entries are dropped by
	// push when a token is revoked, and none answers while the
	// invalidation channel is not proved live (ChannelLease). See
	// nearCache.
	LocalTTL time.Duration
	// LocalSize (or the URL's local_size parameter) caps the near cache's
	// entries, least recently used out first (default 100000).
	LocalSize int
	// ChannelLease is how long the near cache is trusted after the
	// invalidation channel last proved live (a pong, a membership
	// renewal), and so the longest a revocation waits for a process that
	// does not acknowledge it (default 1 s). The channel is proved every
	// fifth of it. Processes sharing a Redis database must use the same
	// value.
	ChannelLease time.Duration
	// RevocationPoll is how often the wrapped store's revocation log
	// (store.RevocationFeed) is read, so that a revocation this process
	// was not told of over Redis takes effect here anyway (default
	// 500 ms, at most 1 s).
	RevocationPoll time.Duration
	// HedgeAfter is how long a batched lookup waits for its MGET before it
	// reads the database instead (default 20 ms, far above a healthy
	// Redis's latency); OpTimeout still bounds the MGET itself and trips
	// the breaker.
	HedgeAfter time.Duration
	// Logger receives breaker transitions and queue warnings. It never sees
	// a token, only hashes.
	Logger zerolog.Logger
	// Now is the clock for cool-downs and fill ages (default time.Now).
	Now func() time.Time
}

// withDefaults validates o and fills its zero fields.
func (o Options) withDefaults() (Options, error) {
	if (o.URL == "") == (o.Client == nil) {
		return o, errors.New("rediscache: exactly one of URL and Client is required")
	}
	if o.URL != "" {
		p, err := splitParams(o.URL)
		if err != nil {
			return o, err
		}
		o.URL = p.url
		if o.Prefix == "" {
			o.Prefix = p.prefix
		}
		if o.LocalTTL == 0 {
			o.LocalTTL = p.localTTL
		}
		if o.LocalSize == 0 {
			o.LocalSize = p.localSize
		}
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	setDur(&o.TTL, DefaultTTL)
	setDur(&o.InvalidTTL, DefaultInvalidTTL)
	setDur(&o.NegativeTTL, DefaultNegativeTTL)
	setDur(&o.OpTimeout, DefaultOpTimeout)
	setDur(&o.Cooldown, DefaultCooldown)
	setDur(&o.RetryInterval, DefaultRetryInterval)
	setDur(&o.FillMaxAge, DefaultFillMaxAge)
	setDur(&o.HedgeAfter, DefaultHedgeAfter)
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	setDur(&o.LocalTTL, DefaultLocalTTL)
	setDur(&o.ChannelLease, DefaultChannelLease)
	setDur(&o.RevocationPoll, DefaultRevocationPoll)
	if o.LocalSize == 0 {
		o.LocalSize = DefaultLocalSize
	}
	if o.LocalSize < 0 {
		return o, fmt.Errorf("rediscache: LocalSize %d is negative", o.LocalSize)
	}
	if o.ChannelLease < 5*time.Millisecond {
		return o, fmt.Errorf("rediscache: ChannelLease %v is below 5ms", o.ChannelLease)
	}
	if o.RevocationPoll > time.Second {
		return o, fmt.Errorf("rediscache: RevocationPoll %v is above 1s", o.RevocationPoll)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	for name, d := range map[string]time.Duration{"TTL": o.TTL, "InvalidTTL": o.InvalidTTL,
		"NegativeTTL": o.NegativeTTL, "OpTimeout": o.OpTimeout, "Cooldown": o.Cooldown,
		"RetryInterval": o.RetryInterval, "FillMaxAge": o.FillMaxAge, "HedgeAfter": o.HedgeAfter,
		"RevocationPoll": o.RevocationPoll} {
		if d < time.Millisecond {
			return o, fmt.Errorf("rediscache: %s %v is below 1ms", name, d)
		}
	}
	if o.FillMaxAge >= o.InvalidTTL {
		return o, fmt.Errorf("rediscache: FillMaxAge %v must be shorter than InvalidTTL %v", o.FillMaxAge, o.InvalidTTL)
	}
	if o.MaxPending < 0 {
		return o, fmt.Errorf("rediscache: MaxPending %d is negative", o.MaxPending)
	}
	return o, nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// newClient builds a client from o.URL that respects context deadlines and
// never waits long: one dial attempt, no command retries, timeouts of
// o.OpTimeout.
func newClient(o Options) (*redis.Client, error) {
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		// The URL may carry a password; do not echo it.
		return nil, fmt.Errorf("rediscache: parse redis URL: %w", redactURLError(err))
	}
	ro.ContextTimeoutEnabled = true
	ro.DialTimeout = o.OpTimeout
	ro.DialerRetries = 1
	ro.ReadTimeout = o.OpTimeout
	ro.WriteTimeout = o.OpTimeout
	ro.PoolTimeout = o.OpTimeout
	ro.MaxRetries = -1
	ro.DisableIdentity = true
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(ro), nil
}

// redactURLError drops the URL text (which may hold a password) from a
// url.Error, keeping what went wrong.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s URL: %w", ue.Op, ue.Err)
	}
	return err
}

// urlParams are the query parameters of a Redis URL that configure the
// Cache rather than the client.
type urlParams struct {
	url       string // the URL without them
	prefix    string
	localTTL  time.Duration // 0: not given
	localSize int           // 0: not given
}

// splitParams takes "prefix", "local_ttl" (a Go duration; "off" or a
// non-positive value disables the near cache) and "local_size" (a
// positive number of entries) out of a Redis URL.
func splitParams(raw string) (urlParams, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return urlParams{}, fmt.Errorf("rediscache: parse redis URL: %w", redactURLError(err))
	}
	q := u.Query()
	if !q.Has("prefix") && !q.Has("local_ttl") && !q.Has("local_size") {
		return urlParams{url: raw}, nil
	}
	p := urlParams{prefix: q.Get("prefix")}
	if q.Has("local_ttl") {
		v := q.Get("local_ttl")
		switch d, err := time.ParseDuration(v); {
		case v == "off" || v == "0":
			p.localTTL = -1
		case err != nil:
			return urlParams{}, fmt.Errorf("rediscache: redis URL parameter local_ttl=%q: want a duration such as 10m, or off", v)
		case d <= 0:
			p.localTTL = -1
		default:
			p.localTTL = d
		}
	}
	if q.Has("local_size") {
		v := q.Get("local_size")
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return urlParams{}, fmt.Errorf("rediscache: redis URL parameter local_size=%q: want a positive number of entries", v)
		}
		p.localSize = n
	}
	q.Del("prefix")
	q.Del("local_ttl")
	q.Del("local_size")
	u.RawQuery = q.Encode()
	p.url = u.String()
	return p, nil
}

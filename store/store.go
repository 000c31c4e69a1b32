package store

import (
	"context"
	"errors"
	"time"

	"github.com/leakguard/leakguard"
)

// Sentinel errors returned by every Store implementation. Callers branch on
// them with errors.Is.
var (
	// ErrNotFound means no token (or notification) has that id or hash.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a token with that id or hash already exists.
	ErrConflict = errors.New("already exists")
	// ErrInvalid means the request itself is malformed (missing reason, ...).
	ErrInvalid = errors.New("invalid request")
	// ErrUnavailable means the backing service cannot be reached.
	ErrUnavailable = errors.New("store unavailable")
)

// ReasonExpired is the InvalidReason the sweeper records on expired tokens.
const ReasonExpired = "expired"

// Token is one issued API token. It holds no plaintext.
type Token struct {
	ID            string     // opaque, unique, never reused
	Hash          string     // SHA-256 hex of the full token; unique
	Type          string     // user, service or admin
	FormatID      string     // patterns format id (the generator)
	Owner         string     // who is told when it leaks or expires
	Name          string     // human label
	Last4         string     // last four characters, for display
	CreatedAt     time.Time  //
	ExpiresAt     *time.Time // nil: never expires
	LastUsedAt    *time.Time // nil: never used
	Valid         bool       // false once revoked or marked expired
	InvalidAt     *time.Time // when it became invalid
	InvalidReason string     // why ("expired" for expiry)
	RevokedBy     string     // actor of the revocation
	// Scopes are the token's issuer-defined scopes, fixed at issue
	// (leakguard.ParseScopes): sorted, each once; nil for none.
	Scopes []string
	// Replaces is the id of the token this one was issued to replace
	// (RotateToken); "" for none.
	Replaces string
	// ReplacedBy is the id of this token's successor once it was rotated;
	// "" for none. A token is rotated at most once.
	ReplacedBy string
}

// State returns the token's state at now: revoked if invalidated for any
// reason but expiry, expired if past ExpiresAt (marked by the sweeper or
// not), else active.
func (t *Token) State(now time.Time) leakguard.State {
	if !t.Valid && t.InvalidReason != ReasonExpired {
		return leakguard.StateRevoked
	}
	if !t.Valid || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return leakguard.StateExpired
	}
	return leakguard.StateActive
}

// InvalidMessage returns the user-facing reason the token is not valid at
// now (docs/http-api.md#verification-messages), or "" when it is active.
func (t *Token) InvalidMessage(now time.Time) string {
	switch t.State(now) {
	case leakguard.StateRevoked:
		at := now
		if t.InvalidAt != nil {
			at = *t.InvalidAt
		}
		return "This API token became invalid on " + at.UTC().Format(time.RFC3339) + ": " + t.InvalidReason
	case leakguard.StateExpired:
		at := now
		if t.ExpiresAt != nil {
			at = *t.ExpiresAt
		} else if t.InvalidAt != nil {
			at = *t.InvalidAt
		}
		return "This API token expired on " + at.UTC().Format(time.RFC3339)
	}
	return ""
}

// EventKind names an audit event.
type EventKind string

// Audit event kinds (docs/events.md#audit-events).
const (
	EventIssued          EventKind = "issued"
	EventRevoked         EventKind = "revoked"
	EventExpired         EventKind = "expired"
	EventLeakReported    EventKind = "leak_reported"
	EventExpiringNotice  EventKind = "expiring_notice"
	EventVerifiedInvalid EventKind = "verified_invalid"
	// EventRotated is written on the old token of a rotation (RotateToken);
	// its detail names the successor and when the old token retires.
	EventRotated EventKind = "rotated"
)

// Event is one entry of a token's audit trail.
type Event struct {
	ID      int64     `json:"-"`
	TokenID string    `json:"-"`
	Kind    EventKind `json:"kind"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`
	Source  string    `json:"source,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Notification is one outbound event waiting in the durable outbox
// (docs/events.md#delivery). Payload is the JSON body to deliver, fixed at enqueue time.
type Notification struct {
	ID            string    // unique; doubles as the webhook-id header
	Type          string    // token.revoked, token.expiring or token.expired
	Payload       []byte    // JSON body
	CreatedAt     time.Time //
	Attempts      int       // delivery attempts so far
	NextAttemptAt time.Time // not claimed before this
	LastError     string    // last delivery error
}

// ListFilter selects tokens for ListTokens. Zero fields do not filter.
type ListFilter struct {
	Owner string
	Scope string          // only tokens that have this scope (exactly)
	State leakguard.State // evaluated at Now
	Now   time.Time       // reference time for State
	After string          // return tokens with ID > After (pagination cursor)
	Limit int             // 0: no limit
}

// RevokeRequest identifies a token by ID or Hash and says why it dies.
type RevokeRequest struct {
	ID     string    // one of ID or Hash is required
	Hash   string    //
	Reason string    // required
	Actor  string    // who revoked it (user, "github-secret-scanning", ...)
	Source string    // where the leak was seen, if any
	Kind   EventKind // EventRevoked (default) or EventLeakReported
	At     time.Time // when; zero means the store's clock
	// Notify, if set, is enqueued in the outbox in the same transaction,
	// and only when this call actually revokes the token.
	Notify *Notification
	// DeferSettle lets a Settler store return before its readers are
	// settled (see Settler); the caller must call Settle itself before it
	// reports the revocation done. Batches use it to wait once, not once
	// per token. Stores that are not Settlers ignore it.
	DeferSettle bool
}

// NoticeRequest records one expiring notice stage for a token.
type NoticeRequest struct {
	TokenID string
	Stage   string // "7d", "1d", "0d"
	Event   Event
	Notify  *Notification
}

// Store is the token system of record. Implementations are safe for
// concurrent use, including by several processes sharing one database.
type Store interface {
	// IssuerReports is the durable queue of reports of other issuers'
	// leaked tokens (hashes only), kept in the same database.
	IssuerReports

	// CreateToken inserts t together with its issued event ev.
	// Returns ErrConflict if t.ID or t.Hash already exists, ErrInvalid if
	// t lacks ID, Hash, Type or Owner or its Hash is not 64 lower-case hex
	// (see Token.Validate). A zero CreatedAt or ev.At means the store's clock.
	CreateToken(ctx context.Context, t *Token, ev Event) error

	// TokenByHash returns the token with that hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (*Token, error)

	// TokenByID returns the token with that id, or ErrNotFound.
	TokenByID(ctx context.Context, id string) (*Token, error)

	// ListTokens returns tokens matching f ordered by ID.
	ListTokens(ctx context.Context, f ListFilter) ([]*Token, error)

	// Revoke invalidates the token atomically: Valid=false, InvalidAt,
	// InvalidReason, RevokedBy, one event of req.Kind and req.Notify in the
	// outbox. It is idempotent: if the token is already invalid nothing is
	// written and already is true. Concurrent calls on one token yield exactly
	// one revocation. Returns the token as it is after the call, ErrNotFound
	// for an unknown token (or when ID and Hash name different tokens),
	// ErrInvalid without a reason or identifier or with a malformed hash.
	Revoke(ctx context.Context, req RevokeRequest) (t *Token, already bool, err error)

	// RotateToken replaces a token by a successor in one transaction; see
	// RotateRequest for what it writes. Returns the old token as it is
	// after the call. Concurrent rotations of one token: exactly one
	// succeeds. Errors: ErrNotFound for an unknown old token, ErrConflict
	// when the old token is not active at req.At or was already rotated
	// (or the successor's id or hash exists), ErrInvalid for a malformed
	// request.
	RotateToken(ctx context.Context, req RotateRequest) (old *Token, err error)

	// ExpireDue marks every still-valid token whose ExpiresAt <= now as
	// invalid with reason ReasonExpired (InvalidAt = ExpiresAt) and an
	// expired event, and returns them. Idempotent.
	ExpireDue(ctx context.Context, now time.Time) ([]*Token, error)

	// ExpiringBefore returns valid tokens with now < ExpiresAt <= deadline
	// that have no notice recorded for stage.
	ExpiringBefore(ctx context.Context, now, deadline time.Time, stage string) ([]*Token, error)

	// RecordNotice records that stage's notice for a token with its event and
	// notification, once: a second call for the same token and stage writes
	// nothing and returns false. ErrNotFound for an unknown token,
	// ErrInvalid without a token id or stage.
	RecordNotice(ctx context.Context, req NoticeRequest) (recorded bool, err error)

	// TouchLastUsed sets LastUsedAt to at if it is unset or older than at.
	// ErrNotFound for an unknown token.
	TouchLastUsed(ctx context.Context, id string, at time.Time) error

	// AppendEvent adds an event to a token's audit trail (ErrNotFound if the
	// token does not exist).
	AppendEvent(ctx context.Context, ev Event) error

	// Events returns a token's audit trail, oldest first (by At, then by
	// insertion). ErrNotFound for an unknown token.
	Events(ctx context.Context, tokenID string) ([]Event, error)

	// ClaimNotifications returns up to limit outbox entries due at now and
	// hides them from other claimers until now+lease. ErrInvalid unless
	// limit and lease are positive.
	ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Notification, error)

	// MarkDelivered removes a notification from the outbox; ErrNotFound if
	// it is not there (another worker delivered it after its lease ran out).
	MarkDelivered(ctx context.Context, id string) error

	// MarkFailed records a failed attempt and schedules the next one;
	// ErrNotFound if the notification is not there.
	MarkFailed(ctx context.Context, id string, next time.Time, errMsg string) error

	// Ping checks that the backing service answers.
	Ping(ctx context.Context) error

	// Close releases resources.
	Close() error
}

// Settler is an optional interface of a Store whose readers may keep a
// token's state for a short, bounded time after another process changed it
// (store/rediscache's in-process near cache). Such a store's Revoke waits
// that time out before it returns, so that no lookup, in any process, that
// starts after Revoke has returned sees the token valid. A caller that set
// RevokeRequest.DeferSettle (to revoke a batch concurrently and wait once)
// must call Settle after its last Revoke and before it reports the batch
// done. Callers find it with a type assertion; other stores need nothing.
type Settler interface {
	// Settle returns once every revocation this store made so far is
	// visible to every reader, or with ctx's error if ctx ends first.
	Settle(ctx context.Context) error
}

// BatchGetter is an optional interface of a Store that looks up several
// hashes at once, e.g. in one network round trip (store/rediscache does it
// with one MGET). Callers check for it with a type assertion and otherwise
// call TokenByHash per hash; both must give the same answers.
type BatchGetter interface {
	// TokensByHash returns, for each hashes[i], exactly what
	// TokenByHash(ctx, hashes[i]) would: toks[i] and errs[i] (ErrNotFound,
	// wrapped, for an unknown hash). Both slices have len(hashes).
	// Duplicates are allowed.
	TokensByHash(ctx context.Context, hashes []string) (toks []*Token, errs []error)
}

// Touch is one last use of a token, for BatchToucher.
type Touch struct {
	ID string
	At time.Time
	// Hash is the token's hash when the caller knows it (a cache in front
	// of the store updates its copy by it); "" otherwise.
	Hash string
}

// BatchToucher is an optional interface of a Store that records several
// last uses at once, e.g. in one transaction (a durable commit per batch,
// not per token). lifecycle's background writer uses it when verifying
// many distinct tokens; callers check for it with a type assertion and
// otherwise call TouchLastUsed per token.
type BatchToucher interface {
	// TouchLastUsedMany does TouchLastUsed for every touch (LastUsedAt
	// never moves backwards; the latest of duplicates wins). Unknown ids
	// are skipped, not an error: the batch is best effort, like the
	// single call's callers treat it.
	TouchLastUsedMany(ctx context.Context, ts []Touch) error
}

package store

import (
	"context"
	"time"
)

// Revocation is one entry of a store's revocation log (RevocationFeed): a
// token whose cached "valid" answer may have become wrong. It holds the
// token's hash, never the token.
type Revocation struct {
	// Seq orders the log: a reader that has seen Seq n has seen every entry
	// committed before it (sequence order is commit order).
	Seq  int64
	Hash string
	At   time.Time // when the change happened (the request's At)
}

// RevocationQuery selects entries of the revocation log: Seq > After and,
// unless Since is zero, At >= Since; oldest (lowest Seq) first, at most
// Limit of them (Limit must be positive).
type RevocationQuery struct {
	After int64
	Since time.Time
	Limit int
}

// RevocationFeed is an optional interface of a Store that keeps a
// revocation log: every change that can make a cached "valid" answer
// wrong appends the token's hash, in the same transaction as the change.
// Those changes are a revocation (only by the call that revokes; an
// already invalid token appends nothing) and a rotation of an active token
// (retired at once, or its expiry brought forward to the end of the grace).
// Expiry appends nothing: a cached answer is judged against ExpiresAt when
// it is read.
//
// Sequence numbers grow in commit order, also across processes sharing the
// database, so a reader that follows the log with After = the last Seq it
// saw never misses an entry. Caches (store/rediscache) follow it to bound
// how long any process may answer from a cache a token that was revoked
// while the cache could not be told (docs: rediscache's staleness bound).
// Entries are never deleted, like the tokens they name.
type RevocationFeed interface {
	// RevocationHead returns the newest entry's Seq, 0 when the log is
	// empty.
	RevocationHead(ctx context.Context) (int64, error)
	// Revocations returns the entries q selects. ErrInvalid unless
	// q.Limit is positive.
	Revocations(ctx context.Context, q RevocationQuery) ([]Revocation, error)
}

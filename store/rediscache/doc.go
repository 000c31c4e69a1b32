// Package rediscache is a read-through Redis cache in front of any
// store.Store. New(next, Options) returns a *Cache that implements
// store.Store: every method goes to next, and TokenByHash and TokenByID are
// answered from Redis when they can be. The database stays the system of
// record; Redis only ever saves work. Issuer reports (store.IssuerReports)
// are never cached: a claim must see the database's row, so the three
// methods go straight to next.
//
// # What is stored
//
// Keys and values hold hashes and metadata only; the store never sees a
// plaintext token, so neither does Redis. With the default prefix
// "leakguard:" the keys are
//
//	leakguard:tok:h:<sha256 hex>  JSON entry: {"v":3,"found":true,"token":{...}} or {"v":3,"found":false}
//	leakguard:tok:i:<token id>    the token's hash (an id→hash pointer; immutable)
//
// The token object carries id, hash, type, format_id, owner, name, last4,
// created_at, expires_at, last_used_at, valid, invalid_at, invalid_reason,
// revoked_by and scopes (an array, [] for none), nothing else. Entries of
// any other version (v1, written before tokens had scopes, lacks them) are
// unreadable: lookups read through to the database until the entry's TTL
// ends or a state change overwrites it. Use one prefix per database: a cache shared by
// two different databases would mix their answers. The prefix comes from
// Options.Prefix, else from a "prefix" query parameter of the URL
// (redis://host:6379/0?prefix=acme:), else "leakguard:". Likewise a
// "local_ttl" parameter (?local_ttl=20ms, or off) sets Options.LocalTTL,
// the near cache's lease (at most 50 ms).
//
// # Correctness rules
//
//   - Fill on miss with SET NX and a TTL (Options.TTL, default 5 min, for
//     valid tokens; Options.InvalidTTL, default 1 h, for revoked or expired
//     ones, which never become valid again). Unknown hashes get a short
//     negative entry (Options.NegativeTTL, default 30 s) so floods of
//     unknown tokens do not reach the database. A fill whose database read
//     took longer than Options.FillMaxAge (default 1 s) is dropped, so an old
//     read cannot land after the revocation entry it predates has expired.
//   - After every state change committed by next (CreateToken, Revoke,
//     ExpireDue, TouchLastUsed) the entry is overwritten with the new state
//     (SET with a TTL, not NX) by a Lua script that never replaces an invalid
//     token with a valid one. Tokens only ever go from valid to invalid, so
//     writes may arrive in any order (slow clients, a paused server that
//     wakes up with buffered commands) and the entry still never regresses
//     to "valid". CreateToken's overwrite also replaces a negative entry, so
//     a negative entry never hides a token created by this process.
//   - If that overwrite fails (Redis down, paused or slow), the entry goes to
//     a local retry queue. While a hash is queued this process bypasses
//     Redis for it (answers come from next), and a background loop rewrites
//     it when Redis is back. Queue size is capped by Options.MaxPending;
//     a write that finds the queue full is logged and dropped, and the
//     other-process bound below then applies to this process as well.
//   - Any Redis error, timeout or undecodable value falls through to next.
//     Every Redis call has its own deadline (Options.OpTimeout, default
//     100 ms) and the client is built with ContextTimeoutEnabled, short
//     dial/read/write/pool timeouts and no retries. After a failure a circuit
//     breaker skips Redis for Options.Cooldown (default 1 s), then lets one
//     probe through; the first success closes it again. A Redis outage thus
//     costs at most one OpTimeout per cool-down, never an answer.
//   - TokensByHash (store.BatchGetter) answers several hashes with one MGET,
//     each exactly as TokenByHash would (misses fill with SET NX, trouble
//     falls through). Concurrent MGETs are coalesced: requests that arrive
//     while one is in flight go out together in the next, never in one
//     that was sent before they asked, so the rules above hold per request.
//     Decoded entries are memoized by their exact value, which cannot go
//     stale: a changed state is a different value.
//   - Valid tokens read from Redis (or, when Redis could not answer, from
//     next) are also kept in process for a short lease (Options.LocalTTL,
//     default and maximum MaxLocalTTL, 50 ms; the near cache), so a token
//     verified over and over costs no round trip within its lease. A lease
//     counts from before the read was sent, and Revoke, after its Redis
//     overwrite, waits MaxLocalTTL before it returns ("commit wait"; a
//     batch sets RevokeRequest.DeferSettle and calls Settle once, see
//     store.Settler), so every lease that could still say valid has ended,
//     in every process, whatever lease each one uses. Unknown, revoked and
//     expired answers are never kept in process. See nearCache for the
//     argument.
//   - A batched lookup waits for its MGET at most Options.HedgeAfter
//     (default 20 ms) and then reads next instead, so a slow or paused
//     Redis costs a request about HedgeAfter, not OpTimeout; the MGET
//     itself still runs to OpTimeout and trips the breaker.
//   - Ping checks next only, so a Redis outage never makes the store
//     unusable; RedisPing reports Redis health separately (for /readyz).
//
// # Staleness bound
//
// While Redis is healthy, no lookup that starts after Revoke or ExpireDue
// has returned reports the token valid, in this process or any other
// sharing the Redis database. When the post-commit overwrite failed:
//
//   - this process still never reports the token valid (the queued hash
//     bypasses Redis until the rewrite succeeds);
//   - another process, or this one after a restart (the retry queue lives in
//     memory, it is not durable), may read the stale "valid" entry for at
//     most Options.TTL (plus at most MaxLocalTTL of near-cache lease) after the
//     revocation, because that entry was filled before the revocation and
//     expires TTL after its fill.
//
// The same bound with Options.NegativeTTL applies to a token created while
// Redis was unreachable being reported unknown by another process. Both
// bounds assume Redis does not evict or rewrite our keys on its own, and
// that no command sits in a paused server's socket buffer for longer than
// Options.InvalidTTL. LastUsedAt in a cached entry may lag the database
// while Redis is being skipped, by at most the entry's TTL (Options.TTL,
// or Options.InvalidTTL for an invalid token).
package rediscache

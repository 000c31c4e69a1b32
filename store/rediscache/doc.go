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
//	leakguard:near:members        hash: "born" and, per process with a near cache, its membership's end (ms)
//
// and the pub/sub channels leakguard:near:inval (invalidations: a hash, the
// revoking process's random id, a message id) and leakguard:near:ack:<id>
// (acknowledgements to process <id>).
//
// The token object carries id, hash, type, format_id, owner, name, last4,
// created_at, expires_at, last_used_at, valid, invalid_at, invalid_reason,
// revoked_by and scopes (an array, [] for none), nothing else. Entries of
// any other version (v1, written before tokens had scopes, lacks them) are
// unreadable: lookups read through to the database until the entry's TTL
// ends or a state change overwrites it. Use one prefix per database: a cache shared by
// two different databases would mix their answers. The prefix comes from
// Options.Prefix, else from a "prefix" query parameter of the URL
// (redis://host:6379/0?prefix=acme:), else "leakguard:". Likewise
// "local_ttl" (?local_ttl=10m, or off) sets Options.LocalTTL, how long the
// near cache keeps a token, and "local_size" (?local_size=200000) sets
// Options.LocalSize, how many it keeps.
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
//   - Valid tokens read from Redis (or from next) are also kept in
//     process, the near cache: for Options.LocalTTL (default 5 min), at
//     most Options.LocalSize of them (default 100,000, least recently used
//     out first), so that verifying them costs no round trip. Entries are
//     dropped by push: a revocation overwrites the Redis entry and
//     publishes an invalidation in one Lua script, every process drops the
//     hash and acknowledges, and Revoke returns once every process that
//     may hold it has acknowledged, or one Options.ChannelLease (default
//     1 s) later when one does not answer. A process trusts its near cache
//     only while its invalidation channel has proved live within the
//     lease; when the channel may have lost messages (the subscription
//     broke or was re-established) it empties the near cache and starts
//     over. A batch sets RevokeRequest.DeferSettle and calls Settle once
//     (store.Settler). Unknown, revoked and expired answers are never kept
//     in process; last_used_at writes are not pushed (LastUsedAt may lag,
//     see below). See nearCache for the argument.
//   - When next keeps a revocation log (store.RevocationFeed; both
//     database adapters do), every process reads it every
//     Options.RevocationPoll (default 500 ms) and, for each revocation,
//     writes the token's state to Redis (or queues the write, bypassing
//     Redis for that hash) and drops it from its near cache: a revocation
//     no cache was told of still takes effect everywhere (see watcher).
//     New reads the log's last Options.TTL first.
//   - A batched lookup waits for its MGET at most Options.HedgeAfter
//     (default 20 ms) and then reads next instead, so a slow or paused
//     Redis costs a request about HedgeAfter, not OpTimeout; the MGET
//     itself still runs to OpTimeout and trips the breaker.
//   - Ping checks next only, so a Redis outage never makes the store
//     unusable; RedisPing reports Redis health separately (for /readyz).
//
// # Staleness bound
//
// While Redis is healthy (it answers the revocation's script), no lookup
// that starts after Revoke has returned reports the token valid, in this
// process or any other sharing the Redis database. Whatever Redis does —
// paused, killed, restarted empty, unreachable from the revoking process
// only — and whether or not the revoking process survives:
//
//   - this process never reports the token valid once Revoke returned (the
//     queued hash bypasses Redis until the rewrite succeeds, and its own
//     near cache entry is gone);
//   - every other process stops reporting it valid within about one
//     RevocationPoll of the revocation's commit (plus the time to read the
//     database and write Redis, each bounded by OpTimeout): its watcher
//     reads the revocation log. The fault tests check 2 s from the
//     revoking call.
//
// That second bound assumes the process can read the database; without
// a revocation log in next (a store of another kind), it is the older one:
// another process, or this one after a restart, may read a stale "valid"
// entry for at most Options.TTL after the revocation.
//
// A token created while Redis was unreachable may be reported unknown by
// another process for at most Options.NegativeTTL (a negative entry's
// life). These bounds assume Redis does not rewrite our keys on its own
// (an evicted key is only a miss), and that no command sits in a paused
// server's socket buffer for longer than Options.InvalidTTL.
//
// LastUsedAt in a cached entry may lag the database by at most the entry's
// TTL (Options.TTL, or Options.InvalidTTL for an invalid token) when Redis
// was being skipped as it was written, and in another process's near
// cache by at most LocalTTL: last-use writes are not pushed. Batched ones
// (TouchLastUsedMany, which lifecycle's background writer sends) update
// this process's near copies and drop the valid Redis entries, which the
// next reader refills; single ones rewrite the entries.
package rediscache

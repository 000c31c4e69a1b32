// Package revoker turns a leak report into a dead token: finding → hash →
// look-up → if ours and active, revoke with a reason naming where it leaked →
// audit event → token.revoked notification through the outbox.
//
// Every source uses the same flow, Resolver.Resolve: scan (files, diffs,
// staged changes, history; --db here or --server through webhook.Client),
// github scan, github alerts, the API's scan routes and GitHub's partner
// endpoint. Resolve dedupes by hash, decides "ours" once (MayBeOurs), looks
// up in batches, revokes with the first report's location as the reason,
// settles the Redis near cache once per call and answers one Outcome per
// distinct token; the suite in revoker/resolvertest holds every
// implementation to the same answers. Where the copies this replaced
// disagreed, the stricter behaviour was kept: every distinct token is
// handled once, the first failure makes the whole call not durable
// (callers then neither checkpoint nor answer success), and after
// MaxErrors failures the rest are not attempted.
//
// Decisions:
//   - "Ours" is decided by prefix and checksum of an issued catalog format
//     (patterns.Catalog.Identify), never by a payload's type field; reports
//     of anything else make no store call. A report that carries only a hash
//     is ours when the store knows the hash.
//   - A leak-driven revocation writes exactly one audit event, of kind
//     leak_reported, in the same transaction as the revocation (its detail is
//     the reason, "leaked: <source> <url or path:line>") and the
//     token.revoked notification. The token's state is then revoked. Manual
//     revocations (token revoke, the API) record kind revoked instead. Reports
//     of a token that is already revoked or expired write nothing: a replay
//     changes nothing and notifies nobody again.
//   - A pre-receive bypass (a push let through with a reason) is recorded,
//     not revoked: BypassRecorder.RecordBypass adds one leak_reported
//     event to a token of ours in any state, with the detail "push
//     bypassed by <pusher>: <reason> (push <repository> <ref>)"
//     (BypassDetail: each field cleaned and bounded as a location, tokens
//     redacted), and no notification. *Revoker and webhook.Client (POST
//     /v1/tokens/bypasses) implement it; resolvertest.RunBypass holds
//     both to the same event. An unknown hash writes nothing.
//   - Concurrency safety comes from store.Store.Revoke's conditional update:
//     two racing reports give one revocation, one event, one notification.
//   - RevokeToken is the one step "revoke this known token", shared with
//     the manual revocations of package lifecycle. On a store.Settler (the
//     Redis near cache) a token already marked invalid still goes through
//     the store's Revoke, which writes nothing there but waits out the near
//     caches' leases of another process's revocation of a moment ago; on
//     other stores it makes no call.
//
// It never needs the plaintext past hashing (the reason's location has the
// token redacted should a URL contain it), defines the small interface it
// consumes (Store), and imports no HTTP or Redis code.
package revoker

// Package lifecycle issues, verifies, revokes, lists and sweeps leakguard's
// API tokens over any store.Store, applying one expiry policy to every
// creation path (the CLI and the HTTP API both call Manager.Issue). It is a
// domain service beside the revoker, not a store adapter: it knows stores
// only through the store.Store interface, and an explicit revocation makes
// the same store call as a leak report (revoker.RevokeToken).
//
// It is the only place a plaintext token meets the store: a token arrives as
// a patterns.Secret, is checked against the catalog's issued formats (the
// checksum fast-reject, before any store call) and is hashed on entry. The
// plaintext of a newly issued token is returned exactly once, in Issued.
//
// Every free-text value it is given (owner, name, reason, actor, source,
// ids and list filters) is checked and has pasted tokens redacted here,
// before any store call, log line or answer (text.go): the CLI and the API
// get the same rules, and a refused value is a *store.TextError naming the
// field, never quoting it.
//
// Verify never writes on the request path: last_used_at updates (at most one
// per token per minute per process) and verified_invalid audit events (at
// most one per token per minute per process, so a client hammering with a
// revoked token cannot flood the audit trail or the database) run on one
// bounded background worker. Close drains it; a Manager that verified
// anything must be closed.
package lifecycle

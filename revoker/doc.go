// Package revoker turns a leak report into a dead token: finding → hash →
// look-up → if ours and active, revoke with a reason naming where it leaked →
// audit event → token.revoked notification through the outbox.
//
// It is idempotent and concurrency-safe, never needs the plaintext past
// hashing, and defines the small interfaces it consumes; it imports no HTTP
// or Redis code.
package revoker

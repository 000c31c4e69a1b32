// Package store is leakguard's system of record for issued API tokens: the
// Token and Event domain types, their states, the Store interface and the
// sentinel errors every adapter returns.
//
// Invariants:
//   - Package store and its adapters never receive a plaintext token. A token
//     is known by its SHA-256 hex hash (the only look-up key) and its last four
//     characters for display.
//   - Tokens are never deleted, so a hash can never be reused; revocation and
//     expiry set Valid=false with InvalidAt and InvalidReason.
//   - Every state change appends an Event (the audit trail) and, where an
//     owner must be told, a Notification to the outbox, in the same
//     transaction as the change.
//
// Adapters live in subpackages named after their technology: store/sqlite
// (embedded default), store/postgres, and store/rediscache (a caching
// decorator over any Store). store/storetest is the conformance suite every
// adapter passes. The token lifecycle over a Store (package lifecycle) and
// the leak-report flow (package revoker) are domain services, not adapters.
package store

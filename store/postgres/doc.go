// Package postgres is the PostgreSQL store.Store, built on jackc/pgx/v5's
// connection pool, for deployments where several `leakguard serve`
// processes share one database.
//
// Safety with several processes:
//   - Embedded migrations (migrations/*.sql) are applied at Open inside one
//     transaction holding a transaction-scoped advisory lock keyed by the
//     schema, so processes starting together apply each migration once.
//   - Revoke is a conditional UPDATE ... WHERE valid: under READ COMMITTED a
//     second concurrent revocation waits for the first to commit, then finds
//     the row no longer valid and reports already = true. The event and the
//     outbox entry are written in the same transaction.
//   - ClaimNotifications leases outbox rows with FOR UPDATE SKIP LOCKED, so
//     concurrent deliverers never take the same entry within its lease.
//
// Times are timestamptz (microsecond precision, returned in UTC). The
// package never receives a plaintext token: tokens are keyed by their
// SHA-256 hash.
package postgres

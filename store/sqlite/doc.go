// Package sqlite is the embedded store.Store: one SQLite file through the
// pure-Go modernc.org/sqlite driver, the default when no --db is given.
//
// Durability and concurrency:
//   - The database runs in WAL mode with synchronous=FULL, so a committed
//     revocation survives a power cut, and readers never block the writer.
//   - All writes in this process go through one connection; every write
//     transaction starts with BEGIN IMMEDIATE and a busy timeout, so several
//     processes sharing the file (serve plus a token CLI) serialise their
//     writes instead of failing. Concurrent Revoke calls on one token
//     therefore record exactly one revocation.
//   - The schema lives in embedded migrations (migrations/*.sql), applied in
//     order at Open under the write lock and recorded in schema_migrations.
//
// Times are stored as UTC text in one fixed-width layout with nanosecond
// precision, so text order is time order. The package never receives a
// plaintext token: tokens are keyed by their SHA-256 hash.
package sqlite

-- leakguard schema v5 (SQLite): the revocation log (store.RevocationFeed).
-- One row per change that can make a cached "valid" answer wrong (a
-- revocation, a rotation of an active token), written in the same
-- transaction as the change. SQLite has one writer at a time, so the
-- AUTOINCREMENT sequence grows in commit order and never reuses a number;
-- caches follow the log by seq. It holds hashes, never tokens. Times are
-- UTC text in the layout of v1.
CREATE TABLE revocations (
    seq  INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    hash TEXT    NOT NULL,
    at   TEXT    NOT NULL
) STRICT;

CREATE INDEX revocations_at ON revocations (at);

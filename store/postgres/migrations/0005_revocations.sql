-- leakguard schema v5 (PostgreSQL): the revocation log (store.RevocationFeed).
-- One row per change that can make a cached "valid" answer wrong (a
-- revocation, a rotation of an active token), written in the same
-- transaction as the change. Its seq comes from the one row of
-- revocation_counter, incremented as the transaction's last statement:
-- the row lock, held until commit, makes seq order commit order across
-- every process (an identity column would not: a later number can commit
-- first, and a reader following the log by seq would skip the earlier
-- one). It holds hashes, never tokens.
CREATE TABLE revocation_counter (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq bigint  NOT NULL
);
INSERT INTO revocation_counter (id, seq) VALUES (true, 0);

CREATE TABLE revocations (
    seq  bigint      NOT NULL PRIMARY KEY,
    hash text        NOT NULL,
    at   timestamptz NOT NULL
);

CREATE INDEX revocations_at ON revocations (at);

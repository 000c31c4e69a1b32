-- leakguard schema v1 (SQLite). Times are UTC text in one fixed-width
-- layout (2006-01-02T15:04:05.000000000Z) so that text order is time order.
-- Tokens are never deleted: a hash can never be reused.
CREATE TABLE tokens (
    id             TEXT    NOT NULL PRIMARY KEY,
    hash           TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    format_id      TEXT    NOT NULL DEFAULT '',
    owner          TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    last4          TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    expires_at     TEXT,
    last_used_at   TEXT,
    valid          INTEGER NOT NULL DEFAULT 1 CHECK (valid IN (0, 1)),
    invalid_at     TEXT,
    invalid_reason TEXT    NOT NULL DEFAULT '',
    revoked_by     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX tokens_owner_id ON tokens (owner, id);
CREATE INDEX tokens_valid_expiry ON tokens (expires_at) WHERE valid = 1 AND expires_at IS NOT NULL;

CREATE TABLE events (
    id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    token_id TEXT    NOT NULL REFERENCES tokens (id),
    kind     TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    actor    TEXT    NOT NULL DEFAULT '',
    source   TEXT    NOT NULL DEFAULT '',
    detail   TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX events_token_at ON events (token_id, at, id);

CREATE TABLE notices (
    token_id TEXT NOT NULL REFERENCES tokens (id),
    stage    TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (token_id, stage)
) STRICT;

CREATE TABLE outbox (
    id              TEXT    NOT NULL PRIMARY KEY,
    type            TEXT    NOT NULL,
    payload         BLOB    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at, id);

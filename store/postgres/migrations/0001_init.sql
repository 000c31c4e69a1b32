-- leakguard schema v1 (PostgreSQL). Tokens are never deleted: a hash can
-- never be reused. Ids compare bytewise (COLLATE "C") so that pagination
-- order matches every other adapter.
CREATE TABLE tokens (
    id             text COLLATE "C" NOT NULL PRIMARY KEY,
    hash           text        NOT NULL UNIQUE,
    type           text        NOT NULL,
    format_id      text        NOT NULL DEFAULT '',
    owner          text        NOT NULL,
    name           text        NOT NULL DEFAULT '',
    last4          text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz,
    last_used_at   timestamptz,
    valid          boolean     NOT NULL DEFAULT true,
    invalid_at     timestamptz,
    invalid_reason text        NOT NULL DEFAULT '',
    revoked_by     text        NOT NULL DEFAULT ''
);

CREATE INDEX tokens_owner_id ON tokens (owner, id);
CREATE INDEX tokens_valid_expiry ON tokens (expires_at) WHERE valid AND expires_at IS NOT NULL;

CREATE TABLE events (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_id text COLLATE "C" NOT NULL REFERENCES tokens (id),
    kind     text        NOT NULL,
    at       timestamptz NOT NULL,
    actor    text        NOT NULL DEFAULT '',
    source   text        NOT NULL DEFAULT '',
    detail   text        NOT NULL DEFAULT ''
);

CREATE INDEX events_token_at ON events (token_id, at, id);

CREATE TABLE notices (
    token_id text COLLATE "C" NOT NULL REFERENCES tokens (id),
    stage    text        NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (token_id, stage)
);

CREATE TABLE outbox (
    id              text COLLATE "C" NOT NULL PRIMARY KEY,
    type            text        NOT NULL,
    payload         bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text        NOT NULL DEFAULT ''
);

CREATE INDEX outbox_due ON outbox (next_attempt_at, id);

-- leakguard schema v2 (PostgreSQL): the durable queue of reports of other
-- issuers' leaked tokens (store.IssuerReports). One row per token hash,
-- forever; it holds the hash and never the token. Hashes compare bytewise
-- (COLLATE "C") so that listing order matches every other adapter.
CREATE TABLE issuer_reports (
    hash         text COLLATE "C" NOT NULL PRIMARY KEY,
    issuer       text        NOT NULL,
    format_id    text        NOT NULL,
    source       text        NOT NULL DEFAULT '',
    location     text        NOT NULL DEFAULT '',
    state        text        NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'accepted', 'already_invalid', 'rejected')),
    attempts     integer     NOT NULL DEFAULT 0,
    response     text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_attempt timestamptz,
    answered_at  timestamptz,
    lease_until  timestamptz NOT NULL
);

CREATE INDEX issuer_reports_created ON issuer_reports (created_at, hash);

-- leakguard schema v2 (SQLite): the durable queue of reports of other
-- issuers' leaked tokens (store.IssuerReports). One row per token hash,
-- forever; it holds the hash and never the token. Times are UTC text in
-- the layout of v1, so text order is time order.
CREATE TABLE issuer_reports (
    hash         TEXT    NOT NULL PRIMARY KEY,
    issuer       TEXT    NOT NULL,
    format_id    TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',
    location     TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'accepted', 'already_invalid', 'rejected')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    response     TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_attempt TEXT,
    answered_at  TEXT,
    lease_until  TEXT    NOT NULL
) STRICT;

CREATE INDEX issuer_reports_created ON issuer_reports (created_at, hash);

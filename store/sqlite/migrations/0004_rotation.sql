-- leakguard schema v4 (SQLite): rotation links (store.RotateToken).
-- replaces is the id of the token a successor was issued to replace,
-- replaced_by the id of an old token's successor; NULL for none, which
-- every token issued before v4 has. A token is replaced at most once:
-- the unique index refuses a second successor of one token.
ALTER TABLE tokens ADD COLUMN replaces TEXT;
ALTER TABLE tokens ADD COLUMN replaced_by TEXT;

CREATE UNIQUE INDEX tokens_replaces ON tokens (replaces) WHERE replaces IS NOT NULL;

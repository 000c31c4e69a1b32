-- leakguard schema v3 (PostgreSQL): a token's scopes (store.Token.Scopes),
-- fixed at issue: a text array, sorted, each once ('{}' for none, which
-- every token issued before v3 has). The list filter is scopes @> ARRAY[$1],
-- whole elements only ("read" is not "read-all"), served by the GIN index.
ALTER TABLE tokens ADD COLUMN scopes text[] NOT NULL DEFAULT '{}';

CREATE INDEX tokens_scopes ON tokens USING GIN (scopes);

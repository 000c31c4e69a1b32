-- leakguard schema v3 (SQLite): a token's scopes (store.Token.Scopes),
-- fixed at issue. A JSON array of strings, sorted, each once ('[]' for
-- none, which every token issued before v3 has). A scope holds none of
-- '"', '\' or ',', so the text is canonical; the list filter matches whole
-- elements with json_each, never substrings ("read" is not "read-all").
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(scopes) AND json_type(scopes) = 'array');

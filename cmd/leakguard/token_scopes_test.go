package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenScopesCLI: token issue --scope (twice) gives a token whose
// scopes token verify --format json and token list show, list --scope
// filters by whole scope, and [scopes] allowed in --config refuses others.
func TestTokenScopesCLI(t *testing.T) {
	t.Parallel()
	dsn, path := sqliteDSN(t)
	c := newCLI(t, dsn)
	tok := c.issue("--scope", "read", "--scope", "deploy:prod")
	plain := c.issue()
	verify := func(tok string) map[string]any {
		t.Helper()
		code, out, errOut := c.run(tok, "token", "verify", "--format", "json")
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
			t.Fatalf("token verify --format json: exit %d, %q (%v): %s", code, out, err, errOut)
		}
		return v
	}
	if got := verify(tok)["scopes"]; jsonText(t, got) != `["deploy:prod","read"]` {
		t.Errorf("verify scopes = %s, want [\"deploy:prod\",\"read\"]", jsonText(t, got))
	}
	if got := verify(plain)["scopes"]; jsonText(t, got) != `[]` {
		t.Errorf("verify scopes of a token without = %s, want []", jsonText(t, got))
	}
	if code, out, _ := c.run(tok, "token", "verify"); code != 0 || !strings.Contains(out, "scopes deploy:prod read") {
		t.Errorf("token verify text: exit %d, %q", code, out)
	}
	tests := []struct {
		scope string
		want  int
	}{
		{"read", 1}, {"deploy:prod", 1}, {"rea", 0}, {"write", 0}, {"", 2},
	}
	for _, tt := range tests {
		recs := c.list("--scope", tt.scope)
		if len(recs) != tt.want {
			t.Errorf("token list --scope %q: %d tokens, want %d", tt.scope, len(recs), tt.want)
		}
		if tt.want == 1 && jsonText(t, recs[0]["scopes"]) != `["deploy:prod","read"]` {
			t.Errorf("token list --scope %q: record scopes %s", tt.scope, jsonText(t, recs[0]["scopes"]))
		}
	}
	if code, _, errOut := c.run("", "token", "list", "--scope", "read,write"); code != exitFail || !strings.Contains(errOut, "invalid scope") {
		t.Errorf("token list --scope read,write: exit %d: %s; want %d invalid scope", code, errOut, exitFail)
	}
	if code, _, errOut := c.run("", "token", "issue", "--owner", "o", "--name", "n", "--scope", "read", "--scope", "read"); code != exitFail ||
		!strings.Contains(errOut, `"read" given twice`) {
		t.Errorf("issue with a scope twice: exit %d: %s", code, errOut)
	}

	cfg := filepath.Join(t.TempDir(), "lg.toml")
	if err := os.WriteFile(cfg, []byte("[scopes]\nallowed = [\"read\", \"deploy:prod\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.issue("--config", cfg, "--scope", "read")
	code, _, errOut := c.run("", "token", "issue", "--config", cfg, "--owner", "o", "--name", "n", "--scope", "write")
	if code != exitFail || !strings.Contains(errOut, `scope "write" is not allowed (allowed: read, deploy:prod)`) {
		t.Errorf("issue with a scope the config does not allow: exit %d: %s", code, errOut)
	}
	if n := len(c.list("--owner", "o")); n != 0 {
		t.Errorf("refused issues stored %d tokens", n)
	}
	assertNoCanary(t, c, path)
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTokenRotateCLI rotates with --grace: both tokens verify and the old
// one's answer carries rotate_by; after the grace (the injected clock) the
// old one is invalid and the successor still valid. A second rotation is
// refused (exit 1), and a rotation without grace revokes at once.
func TestTokenRotateCLI(t *testing.T) {
	t.Parallel()
	dsn, path := sqliteDSN(t)
	c := newCLI(t, dsn)
	old := c.issue("--type", "service", "--scope", "read")
	code, out, errOut := c.run(old, "token", "rotate", "--token-stdin", "--grace", "24h")
	if code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, errOut)
	}
	succ := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(succ, "lgs_") || !strings.Contains(errOut, "stays valid until") {
		t.Fatalf("rotate printed %d bytes on stdout, stderr %q", len(out), errOut)
	}
	verify := func(tok string) (int, map[string]any) {
		t.Helper()
		code, out, _ := c.run(tok, "token", "verify", "--format", "json")
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("verify output: %v", err)
		}
		return code, v
	}
	code, v := verify(old)
	rotateBy, _ := v["rotate_by"].(string)
	if code != 0 || v["valid"] != true || rotateBy == "" {
		t.Errorf("old during grace: exit %d, %v; want valid with rotate_by", code, v)
	}
	if at, err := time.Parse(time.RFC3339, rotateBy); err != nil || !at.Equal(c.clk.Now().Add(24*time.Hour)) {
		t.Errorf("rotate_by = %q, want now+24h", rotateBy)
	}
	code, v = verify(succ)
	if _, has := v["rotate_by"]; code != 0 || v["valid"] != true || has || v["type"] != "service" {
		t.Errorf("successor: exit %d, %v; want valid, no rotate_by", code, v)
	}
	succID, _ := v["id"].(string)
	if code, _, errOut := c.run(old, "token", "rotate", "--token-stdin"); code != 1 || !strings.Contains(errOut, "already rotated") {
		t.Errorf("second rotation: exit %d, %q; want 1, already rotated", code, errOut)
	}
	if code, _, errOut := c.run("", "token", "rotate"); code != 2 || !strings.Contains(errOut, "exactly one") {
		t.Errorf("rotate without a token: exit %d, %q", code, errOut)
	}
	c.clk.Add(24*time.Hour + time.Second)
	if code, v = verify(old); code != 1 || v["valid"] != false {
		t.Errorf("old after grace: exit %d, %v; want invalid", code, v)
	}
	if code, _ = verify(succ); code != 0 {
		t.Errorf("successor after grace: exit %d, want valid", code)
	}
	code, out, errOut = c.run("", "token", "rotate", "--id", succID)
	if code != 0 || !strings.Contains(errOut, "is revoked") {
		t.Fatalf("rotate at once: exit %d: %s", code, errOut)
	}
	if code, v = verify(succ); code != 1 || !strings.Contains(v["message"].(string), "rotated to ") {
		t.Errorf("rotated without grace: exit %d, %v; want revoked", code, v)
	}
	if next := strings.TrimSuffix(out, "\n"); !strings.HasPrefix(next, "lgs_") {
		t.Errorf("rotate --id printed %d bytes, want the successor", len(out))
	}
	assertNoCanary(t, c, path)
}

// TestTokenRotateRevokedCLI: a token revoked for a leak is rotated (exit
// 0, the successor on stdout); stderr says it was already revoked and
// that the grace asked for was ignored; the old token stays revoked with
// its leak reason.
func TestTokenRotateRevokedCLI(t *testing.T) {
	t.Parallel()
	dsn, path := sqliteDSN(t)
	c := newCLI(t, dsn)
	old := c.issue("--type", "user")
	if code, _, errOut := c.run(old, "token", "revoke", "--token-stdin", "--reason", "leaked: file app.env:3"); code != 0 {
		t.Fatalf("revoke: exit %d: %s", code, errOut)
	}
	code, out, errOut := c.run(old, "token", "rotate", "--token-stdin", "--grace", "24h")
	if code != 0 {
		t.Fatalf("rotate of a revoked token: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "lgu_") || !strings.Contains(errOut, "was already revoked: leaked: file app.env:3") ||
		!strings.Contains(errOut, "--grace ignored") {
		t.Errorf("rotate printed %d bytes on stdout, stderr %q", len(out), errOut)
	}
	code, vout, _ := c.run(old, "token", "verify", "--format", "json")
	if code != 1 || !strings.Contains(vout, "leaked: file app.env:3") {
		t.Errorf("old token after rotation: exit %d, %s; want still revoked for the leak", code, vout)
	}
	if code, _, _ := c.run(strings.TrimSuffix(out, "\n"), "token", "verify"); code != 0 {
		t.Errorf("successor: exit %d, want valid", code)
	}
	assertNoCanary(t, c, path)
}

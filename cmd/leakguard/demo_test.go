package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"demo"}, IO{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(string) string { return "" }, Now: time.Now,
	})
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"issued tok_", `"source":"file"`, `"status":"active"`, `"action":"revoked"`,
		"This API token became invalid on ", ": leaked: file ", "settings.py:3",
		"leak_reported", "verified_invalid", "webhook-signature: v1,", `"type":"token.revoked"`,
		"outbox now holds 0 undelivered events",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	all := append(stdout.Bytes(), stderr.Bytes()...)
	_ = scanner.New(patterns.Default()).ScanBytes(all, func(m scanner.Match) error {
		t.Errorf("demo output contains a plaintext %s token", m.Format.ID)
		return nil
	})
}

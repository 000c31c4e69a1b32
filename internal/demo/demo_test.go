package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// TestRun: the tour reaches every step and never prints a plaintext token.
func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out, Log: zerolog.Nop()}); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"1. Issue a token", "issued tok_", `"action":"revoked"`, "leak_reported",
		"webhook-signature: v1,", "outbox now holds 0 undelivered events",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Kept ") {
		t.Error("output mentions a kept directory without Keep")
	}
	_ = scanner.New(patterns.Default()).ScanBytes(out.Bytes(), func(m scanner.Match) error {
		t.Errorf("output contains a plaintext %s token", m.Format.ID)
		return nil
	})
}

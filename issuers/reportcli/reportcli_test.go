package reportcli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	reps := []store.IssuerReport{
		{Hash: strings.Repeat("ab", 32), Issuer: "github", FormatID: "github-pat", State: store.IssuerReportAccepted,
			Attempts: 1, Response: "202 Accepted", Source: "file", Location: "app/\x1b[31mconfig.py:3", CreatedAt: at, AnsweredAt: &at},
		{Hash: strings.Repeat("cd", 32), Issuer: "gitlab", FormatID: "gitlab-pat", State: store.IssuerReportPending, CreatedAt: at},
	}
	var text, js bytes.Buffer
	if err := Write(&text, reps, false); err != nil {
		t.Fatal(err)
	}
	if err := Write(&js, reps, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "\x1b") {
		t.Error("the text table holds a raw escape sequence from a location")
	}
	for _, want := range []string{"HASH", "abababababab", "accepted", "202 Accepted", "pending", "2026-12-03T10:00:00Z"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if n := strings.Count(js.String(), "\n"); n != 2 || !strings.Contains(js.String(), `"answered_at":null`) {
		t.Errorf("JSON Lines:\n%s", js.String())
	}
}

func TestParseState(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "pending", "accepted", "already_invalid", "rejected"} {
		if _, err := ParseState(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"sent", "unknown", "Accepted"} {
		if _, err := ParseState(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

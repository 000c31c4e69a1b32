package issuers_test

import (
	"strings"
	"testing"

	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
)

func TestAnswerText(t *testing.T) {
	t.Parallel()
	tok := patterns.NewSecret("ghp_LeakguardAnswerTextToken0123456789")
	sent := []patterns.Secret{{}, tok}
	tests := []struct {
		name   string
		status int
		detail string
		want   string
	}{
		{"status only", 202, "", "202 Accepted"},
		{"detail", 422, "Validation Failed", "422 Unprocessable Entity: Validation Failed"},
		{"detail repeats status", 401, "401 Unauthorized", "401 Unauthorized"},
		{"unknown status", 599, "odd", "599: odd"},
		{"token redacted", 422, "bad " + tok.Reveal() + "!", "422 Unprocessable Entity: bad [REDACTED]!"},
		{"escaped", 400, "a\nb\\c\x00\xff\u2028é", `400 Bad Request: a\nb\\c\x00\xff\u2028é`},
		{"cut", 400, strings.Repeat("x", 300), "400 Bad Request: " + strings.Repeat("x", issuers.MaxText) + "\u2026"},
		{"cut before an escape", 400, strings.Repeat("x", issuers.MaxText-1) + "\x01", "400 Bad Request: " + strings.Repeat("x", issuers.MaxText-1) + "\u2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := issuers.AnswerText(tt.status, tt.detail, sent)
			if got != tt.want {
				t.Errorf("AnswerText = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, tok.Reveal()) {
				t.Errorf("Text holds the token: %q", got)
			}
		})
	}
}

// FuzzAnswerText: whatever the detail, the Text holds no sent token and
// stays short.
func FuzzAnswerText(f *testing.F) {
	f.Add(422, "Validation Failed", "ghp_abcdefgh")
	f.Add(401, "token ghp_abcdefgh is bad", "ghp_abcdefgh")
	f.Add(400, "\x00\n\\\xff", "x")
	f.Fuzz(func(t *testing.T, status int, detail, token string) {
		if len(token) < 4 {
			return
		}
		got := issuers.AnswerText(status, detail, []patterns.Secret{patterns.NewSecret(token)})
		if strings.Contains(got, token) && !strings.Contains(issuers.AnswerText(status, "", nil)+": "+patterns.Redacted, token) {
			t.Fatalf("Text holds the token %q: %q", token, got)
		}
		if len(got) > 40+issuers.MaxText+len(patterns.Redacted) {
			t.Fatalf("Text too long: %d bytes", len(got))
		}
	})
}

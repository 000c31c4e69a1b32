package webhook

import (
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

func TestRedactTokens(t *testing.T) {
	t.Parallel()
	cat := patterns.Default()
	f, _ := cat.Issued(patterns.TypeUser)
	tok, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := tok.Reveal()
	tests := []struct {
		name, in, want string
	}{
		{"quoted", `unknown field "` + plain + `"`, `unknown field "` + patterns.Redacted + `"`},
		{"in a path twice", "GET /v1/" + plain + "/" + plain, "GET /v1/" + patterns.Redacted + "/" + patterns.Redacted},
		{"wrong checksum still redacted", "id " + plain[:len(plain)-1] + "x", "id " + patterns.Redacted},
		{"short run kept", "id lgu_short", "id lgu_short"},
		{"nothing", "bad request: empty body", "bad request: empty body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := redactTokens(cat, tc.in)
			if got != tc.want {
				t.Errorf("redactTokens(%q) = %q, want %q", tc.name, got, tc.want)
			}
			if strings.Contains(got, plain) {
				t.Error("token survives")
			}
		})
	}
}

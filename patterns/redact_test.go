package patterns_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

func TestCatalogRedactTokens(t *testing.T) {
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
			got := cat.RedactTokens(tc.in)
			if got != tc.want {
				t.Errorf("RedactTokens(%q) = %q, want %q", tc.name, got, tc.want)
			}
			if strings.Contains(got, plain) {
				t.Error("token survives")
			}
		})
	}
}

func TestParseConfigRedactsTokens(t *testing.T) {
	t.Parallel()
	f, _ := patterns.Default().Issued(patterns.TypeUser)
	tok, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := tok.Reveal()
	tests := []struct{ name, toml string }{
		{"unknown key", plain + " = 1\n"},
		{"disabled id", `disable = ["` + plain + `"]` + "\n"},
		{"format id", "[[format]]\nid = \"" + plain + "\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := patterns.ParseConfig([]byte(tc.toml))
			if !errors.Is(err, patterns.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), plain) {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}

// TestRedactTokensEveryFormat: a true-positive sample of every format of
// the default catalog is redacted wherever free text may quote it (an
// owner, a name, a reason, a URL), and the text around it is kept.
func TestRedactTokensEveryFormat(t *testing.T) {
	t.Parallel()
	cat := patterns.Default()
	contexts := []struct{ name, before, after string }{
		{"alone", "", ""},
		{"in a sentence", "leaked as ", " in chat."},
		{"after a key", "owner=", "&x=1"},
		{"URL-encoded", "?token%3D", "%26"},
		{"quoted", `"`, `"`},
		{"between lines", "a\n", "\nb"},
	}
	for _, f := range cat.Formats() {
		for _, tp := range f.TruePositives {
			for _, c := range contexts {
				t.Run(f.ID+"/"+c.name, func(t *testing.T) {
					t.Parallel()
					got := cat.RedactTokens(c.before + tp + c.after)
					if want := c.before + patterns.Redacted + c.after; got != want {
						t.Errorf("RedactTokens = %q, want %q", got, want)
					}
				})
			}
		}
	}
}

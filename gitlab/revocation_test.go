package gitlab_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/gitlab"
	"github.com/leakguard/leakguard/patterns"
)

// secretToken is the token of the malformed cases: no error may quote it.
const secretToken = "glpat-SecretNeverInErrors0123456789"

func TestDecodeRevokeTokensFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []struct{ typ, hash, loc string }
	}{
		{"gitlab-docs.json", []struct{ typ, hash, loc string }{
			{"gitleaks_rule_id_gitlab_personal_access_token", patterns.HashToken("glpat-bGVha2d1YXJkLXNhbXBsZW86MQp1OjIH.01.0w0bvdja3"),
				"https://example.com/some-repo/blob/abcdefghijklmnop/compromisedfile1.java"},
			{"gitleaks_rule_id_github_personal_access_token", patterns.HashToken("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"),
				"https://example.com/some-repo/blob/abcdefghijklmnop/compromisedfile2.java"},
		}},
		{"extra-fields.json", []struct{ typ, hash, loc string }{
			{"leakguard_leakguard-user", patterns.HashToken("lgu_LeakguardSample"), ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(filepath.Join("testdata", "revoke_tokens", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := gitlab.DecodeRevokeTokens(f, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d tokens, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].Type != w.typ || got[i].Token.Hash() != w.hash || got[i].Location != w.loc {
					t.Errorf("token %d = %q %s %q, want %q %s %q", i, got[i].Type, got[i].Token.Hash(), got[i].Location, w.typ, w.hash, w.loc)
				}
			}
		})
	}
}

func TestDecodeRevokeTokensErrors(t *testing.T) {
	t.Parallel()
	item := `{"type":"gitleaks_rule_id_gitlab_personal_access_token","token":"` + secretToken + `"}`
	many := "[" + strings.Repeat(item+",", gitlab.MaxRevokeTokens) + item + "]"
	tests := []struct {
		name string
		body string
		max  int64
		want error // nil: accepted
	}{
		{"empty array", `[]`, 0, nil},
		{"one", "[" + item + "]", 0, nil},
		{"at most items", "[" + strings.Repeat(item+",", gitlab.MaxRevokeTokens-1) + item + "]", 1 << 20, nil},
		{"too many items", many, 1 << 20, gitlab.ErrRevokeTokensTooLarge},
		{"over the byte cap", "[" + item + "]", 20, gitlab.ErrRevokeTokensTooLarge},
		{"empty body", ``, 0, gitlab.ErrInvalidRevokeTokens},
		{"object", item, 0, gitlab.ErrInvalidRevokeTokens},
		{"null", `null`, 0, gitlab.ErrInvalidRevokeTokens},
		{"null item", `[null]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"string item", `["` + secretToken + `"]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"no type", `[{"token":"` + secretToken + `"}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"no token", `[{"type":"x"}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"empty token", `[{"type":"x","token":""}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"token not a string", `[{"type":"x","token":["` + secretToken + `"]}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"location not a string", `[{"type":"x","token":"` + secretToken + `","location":{"` + secretToken + `":1}}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"wrong case is unknown", `[{"Type":"x","Token":"` + secretToken + `"}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"unterminated string", `[{"type":"x","token":"` + secretToken, 0, gitlab.ErrInvalidRevokeTokens},
		{"bad escape", `[{"type":"x","token":"` + secretToken + `\q"}]`, 0, gitlab.ErrInvalidRevokeTokens},
		{"trailing data", "[" + item + "]" + secretToken, 0, gitlab.ErrInvalidRevokeTokens},
		{"second array", "[" + item + "][]", 0, gitlab.ErrInvalidRevokeTokens},
		{"token too long", `[{"type":"x","token":"` + strings.Repeat("a", 5000) + `"}]`, 0, gitlab.ErrInvalidRevokeTokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := gitlab.DecodeRevokeTokens(strings.NewReader(tt.body), tt.max)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got == nil {
					t.Error("nil slice for an accepted body")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			checkDecodeError(t, err)
		})
	}
}

// errorShape is what every decoding error looks like once numbers are
// taken out: fixed words, the names of fields, no input.
var errorShape = regexp.MustCompile(`^gitlab: (invalid revoke_tokens request|revoke_tokens request too large): ` +
	`(want a JSON array|data after the array|malformed JSON( at byte N)?|more than N (bytes|tokens)|` +
	`item N: (not a JSON object|field "(type|token|location)" (is not a string|is missing or empty|is longer than N bytes)))$`)

var digits = regexp.MustCompile(`[0-9]+`)

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if msg := digits.ReplaceAllString(err.Error(), "N"); !errorShape.MatchString(msg) {
		t.Fatalf("unexpected error shape (it may quote input): %v", err)
	}
	if strings.Contains(err.Error(), secretToken) {
		t.Fatalf("error quotes the token: %v", err)
	}
}

// TestLeakedTokenJSON: a LeakedToken decodes from the wire with
// encoding/json and marshals with its token redacted.
func TestLeakedTokenJSON(t *testing.T) {
	t.Parallel()
	var lts []gitlab.LeakedToken
	in := `[{"type":"t","token":"` + secretToken + `","location":"l"}]`
	if err := json.Unmarshal([]byte(in), &lts); err != nil {
		t.Fatal(err)
	}
	if got, want := lts[0].Token.Reveal(), secretToken; got != want {
		t.Fatalf("token = %q, want %q", got, want)
	}
	out, err := json.Marshal(lts[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"type":"t","token":"[REDACTED]","location":"l"}`; got != want {
		t.Errorf("marshalled = %s, want %s", got, want)
	}
	err = json.Unmarshal([]byte(`[{"type":"t","token":7}]`), &lts)
	if !errors.Is(err, gitlab.ErrInvalidRevokeTokens) {
		t.Errorf("err = %v, want ErrInvalidRevokeTokens", err)
	}
}

// FuzzDecodeRevokeTokens: the decoder never panics; what it accepts has a
// type and a token per item, within the limits; what it refuses is refused
// in fixed words.
func FuzzDecodeRevokeTokens(f *testing.F) {
	for _, s := range []string{
		`[]`, `[{"type":"a","token":"` + secretToken + `"}]`, `[{"type":"a","token":"b","location":"c","x":[1,{}]}]`,
		`[{"type":"a","token":"\u0000\ud800"}]`, `[{"type":1}]`, `[{}]`, `[[]]`, `[`, `]`, `{}`, `"x"`, `[1,2]`,
		`[{"type":"a","token":"b"}] x`, `[{"token":"b","token":""}]`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "revoke_tokens", "gitlab-docs.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 1 << 16
		got, err := gitlab.DecodeRevokeTokens(bytes.NewReader(data), max)
		if err != nil {
			if got != nil {
				t.Fatal("tokens returned with an error")
			}
			checkDecodeError(t, err)
			return
		}
		if len(got) > gitlab.MaxRevokeTokens || len(data) > max {
			t.Fatalf("accepted %d tokens in %d bytes", len(got), len(data))
		}
		for i, lt := range got {
			if lt.Type == "" || lt.Token.IsZero() {
				t.Fatalf("item %d accepted without type or token", i)
			}
		}
	})
}

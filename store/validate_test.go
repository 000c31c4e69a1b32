package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// badText is one value of each class the store refuses in every text
// field, with the code point the error names (none for invalid UTF-8 and
// for the length).
var badText = []struct {
	name, value, names string
}{
	{"NUL", "a\x00b", "U+0000"},
	{"invalid UTF-8", "a\xffb", ""},
	{"truncated UTF-8", "a\xe2\x80", ""},
	{"ESC", "a\x1b[31mb", "U+001B"},
	{"BEL", "a\ab", "U+0007"},
	{"CR", "a\rb", "U+000D"},
	{"LF", "a\nb", "U+000A"},
	{"TAB", "a\tb", "U+0009"},
	{"DEL", "a\x7fb", "U+007F"},
}

// badLabel are the further classes refused in labels (owner, name, ids).
var badLabel = []struct {
	name, value, names string
}{
	{"C1 CSI", "a\u009bb", "U+009B"},
	{"line separator", "a\u2028b", "U+2028"},
	{"RLO", "a\u202eb", "U+202E"},
	{"LRE", "\u202aab", "U+202A"},
	{"RLI", "ab\u2067", "U+2067"},
	{"PDI", "a\u2069b", "U+2069"},
}

func validToken() store.Token {
	return store.Token{ID: "tok_1", Hash: strings.Repeat("ab", 32), Type: "user", FormatID: "leakguard-user",
		Owner: "alice@example.org", Name: "ci deploy", Last4: "abcd", CreatedAt: time.Now(), Valid: true}
}

// checkRefused fails unless err is ErrInvalid naming field and code
// point, and quoting none of value.
func checkRefused(t *testing.T, err error, field, value, names string) {
	t.Helper()
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, field) {
		t.Errorf("error %q does not name the field %s", msg, field)
	}
	if names != "" && !strings.Contains(msg, names) {
		t.Errorf("error %q does not name %s", msg, names)
	}
	if strings.Contains(msg, value) {
		t.Errorf("error %q quotes the value", msg)
	}
}

func TestTokenValidateRefusesBadText(t *testing.T) {
	t.Parallel()
	fields := []struct {
		name string
		set  func(*store.Token, string)
	}{
		{"owner", func(tk *store.Token, v string) { tk.Owner = v }},
		{"name", func(tk *store.Token, v string) { tk.Name = v }},
		{"id", func(tk *store.Token, v string) { tk.ID = v }},
		{"type", func(tk *store.Token, v string) { tk.Type = v }},
	}
	for _, f := range fields {
		for _, c := range append(badText, badLabel...) {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				tk := validToken()
				f.set(&tk, c.value)
				checkRefused(t, tk.Validate(), f.name, c.value, c.names)
			})
		}
		t.Run(f.name+"/too long", func(t *testing.T) {
			t.Parallel()
			tk := validToken()
			f.set(&tk, strings.Repeat("a", store.MaxLabelLen+1))
			checkRefused(t, tk.Validate(), f.name, strings.Repeat("a", store.MaxLabelLen+1), "")
		})
	}
	for _, ok := range []string{"Zoë Ångström", "team/platform (on-call)", "日本語のラベル", "emoji 🔑", "a\u200db"} {
		tk := validToken()
		tk.Owner, tk.Name = ok, ok
		if err := tk.Validate(); err != nil {
			t.Errorf("Validate(owner %q) = %v, want nil", ok, err)
		}
	}
}

func TestRevokeAndEventValidateRefuseBadText(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("ab", 32)
	for _, c := range badText {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkRefused(t, (&store.RevokeRequest{Hash: hash, Reason: c.value}).Validate(), "reason", c.value, c.names)
			checkRefused(t, (&store.RevokeRequest{Hash: hash, Reason: "r", Actor: c.value}).Validate(), "actor", c.value, c.names)
			checkRefused(t, (&store.RevokeRequest{Hash: hash, Reason: "r", Source: c.value}).Validate(), "source", c.value, c.names)
			checkRefused(t, (&store.RevokeRequest{ID: c.value, Reason: "r"}).Validate(), "id", c.value, c.names)
			ev := store.Event{TokenID: "tok_1", Kind: store.EventVerifiedInvalid, Detail: c.value}
			checkRefused(t, ev.Validate(), "detail", c.value, c.names)
			ev = store.Event{TokenID: "tok_1", Kind: store.EventIssued, Actor: c.value}
			checkRefused(t, ev.Validate(), "actor", c.value, c.names)
			ev = store.Event{TokenID: c.value, Kind: store.EventIssued}
			checkRefused(t, ev.Validate(), "token id", c.value, c.names)
			n := store.NoticeRequest{TokenID: "tok_1", Stage: c.value}
			checkRefused(t, n.Validate(), "stage", c.value, c.names)
			f := store.ListFilter{Owner: c.value}
			checkRefused(t, f.Validate(), "owner", c.value, c.names)
			f = store.ListFilter{After: c.value}
			checkRefused(t, f.Validate(), "cursor", c.value, c.names)
		})
	}
	long := strings.Repeat("r", store.MaxTextLen+1)
	checkRefused(t, (&store.RevokeRequest{Hash: hash, Reason: long}).Validate(), "reason", long, "")
	// Free text keeps what the revoker may copy from a leaked file's path.
	for _, ok := range []string{"leaked: git src/\u202eevil.go:3", "leaked: file caf\u00e9 \u009b.txt:1"} {
		if err := (&store.RevokeRequest{Hash: hash, Reason: ok}).Validate(); err != nil {
			t.Errorf("Validate(reason %q) = %v, want nil", ok, err)
		}
	}
}

func TestCleanLabel(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"src/app.py", "src/app.py"},
		{"src/\u202eevil\u202c.go", "src/evil.go"},
		{"a\x00b\x1bc\td\ne\u0085f\u2028g", "abcdefg"},
		{"caf\xc3\xa9 \xff\xfe ok", "café  ok"},
		{"日本\u2067語", "日本語"},
	}
	for _, tc := range tests {
		if got := store.CleanLabel(tc.in); got != tc.want {
			t.Errorf("CleanLabel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzCheckLabel: CleanLabel's output is always a label, a label is its
// own clean form, every label is free text, and no error quotes its input.
func FuzzCheckLabel(f *testing.F) {
	for _, s := range []string{"", "alice", "a\x00b", "a\xffb", "\u202e", "a\tb", "é\u0085", "\xed\xa0\x80", "\xef\xbf\xbd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean := store.CleanLabel(s)
		if err := store.CheckLabel("f", clean, len(clean)+1); err != nil {
			t.Fatalf("CleanLabel(%q) = %q, which CheckLabel refuses: %v", s, clean, err)
		}
		err := store.CheckLabel("f", s, len(s)+1)
		if err == nil && clean != s {
			t.Fatalf("CleanLabel changed the label %q to %q", s, clean)
		}
		if err == nil {
			if terr := store.CheckText("f", s, len(s)+1); terr != nil {
				t.Fatalf("label %q is not free text: %v", s, terr)
			}
		}
		if err != nil && len(s) > 2 && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q quotes the value", err)
		}
	})
}

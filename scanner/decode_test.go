package scanner

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/leakguard/leakguard/patterns"
)

// encodeFuncs are the template functions of testdata/encodings: each
// writes its argument in one encoding.
func encodeFuncs() template.FuncMap {
	each := func(format string) func(string) string {
		return func(s string) string {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				fmt.Fprintf(&b, format, s[i])
			}
			return b.String()
		}
	}
	return template.FuncMap{
		"b64":    func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"b64url": func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) },
		"hex":    func(s string) string { return hex.EncodeToString([]byte(s)) },
		"pct":    each("%%%02X"),
		"uesc":   each(`\u%04x`),
		"xesc":   each(`\x%02x`),
		"html":   each("&#%d;"),
	}
}

// encTokens are the tokens the fixtures plant: one of ours, a GitHub PAT
// and a look-alike of it.
type encTokens struct{ LGU, GHP, Bad string }

func newEncTokens(tb testing.TB) encTokens {
	tb.Helper()
	own, err := patterns.NewCatalog(patterns.OwnFormat("user", "lgu_"))
	if err != nil {
		tb.Fatal(err)
	}
	f := own.Formats()[0]
	ghp := token(tb, "github-pat", body30)
	return encTokens{LGU: f.WithChecksum("lgu_", body30), GHP: ghp, Bad: lookAlike(ghp)}
}

// encCatalog is the default catalog (ours included).
func encCatalog(tb testing.TB) *patterns.Catalog {
	tb.Helper()
	return patterns.Default()
}

// renderFixture fills testdata/encodings/name with the tokens.
func renderFixture(tb testing.TB, name string, toks encTokens) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "encodings", name))
	if err != nil {
		tb.Fatal(err)
	}
	tpl, err := template.New(name).Funcs(encodeFuncs()).Parse(string(raw))
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, toks); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestEncodedCarriers(t *testing.T) {
	t.Parallel()
	toks := newEncTokens(t)
	type want struct {
		token    string // which planted token
		line     int
		encoding string
	}
	tests := []struct {
		file string
		want []want
	}{
		{"k8s-secret.yaml", []want{{"LGU", 7, "base64"}, {"GHP", 8, "base64"}}},
		{"k8s-dockerconfig.yaml", []want{{"GHP", 7, "base64/base64"}}},
		{"dockerconfig.json", []want{{"LGU", 4, "base64"}}},
		{"basic-auth.http", []want{{"LGU", 3, "base64"}}},
		{"npmrc", []want{{"GHP", 2, "base64"}}},
		{"url.txt", []want{{"LGU", 1, ""}}},
		{"jwt.txt", []want{{"LGU", 1, "base64"}}},
		{"escapes.js", []want{{"LGU", 1, "backslash"}, {"GHP", 2, "backslash"}, {"LGU", 3, "percent"}}},
		{"entities.html", []want{{"GHP", 2, "html"}, {"LGU", 3, "html"}}},
		{"hex.conf", []want{{"LGU", 2, "hex"}}},
		{"nested.env", []want{{"GHP", 1, "base64/backslash"}, {"LGU", 2, "base64/percent"}}},
		{"lockfile.json", nil},
	}
	byName := map[string]string{"LGU": toks.LGU, "GHP": toks.GHP}
	cat := encCatalog(t)
	s := New(cat)
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data := renderFixture(t, tc.file, toks)
			var got []string
			var ms []Match
			if err := s.ScanBytes(data, func(m Match) error { ms = append(ms, m); return nil }); err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				name := "?"
				for n, tok := range byName {
					if m.Hash == patterns.HashBytes([]byte(tok)) {
						name = n
					}
				}
				got = append(got, fmt.Sprintf("%s:%d:%s", name, m.Line, m.Encoding))
				checkEncodedAt(t, data, m)
			}
			var wantS []string
			for _, w := range tc.want {
				wantS = append(wantS, fmt.Sprintf("%s:%d:%s", w.token, w.line, w.encoding))
			}
			if fmt.Sprint(got) != fmt.Sprint(wantS) {
				t.Errorf("got %v, want %v", got, wantS)
			}
			// The stream path finds the same, whatever the chunk size.
			for _, chunk := range []int{64, 1000, DefaultChunkSize} {
				st := NewWithOptions(cat, Options{ChunkSize: chunk})
				if g := scanReader(t, st, bytes.NewReader(data)); fmt.Sprint(g) != fmt.Sprint(toGot(ms)) {
					t.Errorf("Scan with chunk %d: got %v, want %v", chunk, g, toGot(ms))
				}
			}
			// And with the layer off, only the plain ones.
			off := NewWithOptions(cat, Options{NoDecode: true})
			for _, g := range scanBytes(t, off, data) {
				if g.Token != "" && !bytes.Contains(data, []byte(g.Token)) {
					t.Errorf("NoDecode found an encoded token at %d", g.Offset)
				}
			}
		})
	}
}

// checkEncodedAt checks that a match's position is consistent with its
// line and column, and that a plain match is the token itself there.
func checkEncodedAt(t *testing.T, data []byte, m Match) {
	t.Helper()
	line := bytes.Count(data[:m.Offset], []byte{'\n'}) + 1
	col := int(m.Offset) - (bytes.LastIndexByte(data[:m.Offset], '\n') + 1) + 1
	if line != m.Line || col != m.Column {
		t.Errorf("offset %d is %d:%d, match says %d:%d", m.Offset, line, col, m.Line, m.Column)
	}
	if m.Encoding == "" && !bytes.HasPrefix(data[m.Offset:], []byte(m.Secret.Reveal())) {
		t.Errorf("plain match at %d is not the token", m.Offset)
	}
}

// TestEncodedPosition pins the reported position: the encoded character
// holding the token's first bit, at every base64 alignment.
func TestEncodedPosition(t *testing.T) {
	t.Parallel()
	toks := newEncTokens(t)
	s := New(encCatalog(t))
	for lead := range 6 {
		pre := strings.Repeat("x", lead)
		enc := base64.StdEncoding.EncodeToString([]byte(pre + toks.LGU + "\n"))
		data := []byte("k: " + enc + "\n")
		ms := scanAll(t, s, data)
		if len(ms) != 1 {
			t.Fatalf("lead %d: %d matches", lead, len(ms))
		}
		want := int64(3 + lead/3*4 + lead%3)
		if ms[0].Offset != want || ms[0].Encoding != "base64" {
			t.Errorf("lead %d: offset %d encoding %q, want %d base64", lead, ms[0].Offset, ms[0].Encoding, want)
		}
	}
}

func scanAll(tb testing.TB, s *Scanner, data []byte) []Match {
	tb.Helper()
	var ms []Match
	if err := s.ScanBytes(data, func(m Match) error { ms = append(ms, m); return nil }); err != nil {
		tb.Fatal(err)
	}
	return ms
}

// TestEncodedRunAcrossChunks puts an encoded token at every offset near a
// chunk edge inside one long base64 run, which the stream path sees in
// two buffers.
func TestEncodedRunAcrossChunks(t *testing.T) {
	t.Parallel()
	toks := newEncTokens(t)
	cat := encCatalog(t)
	for _, chunk := range []int{256, 1024} {
		s := NewWithOptions(cat, Options{ChunkSize: chunk})
		for pad := chunk - 100; pad < chunk+40; pad += 7 {
			plain := strings.Repeat("\x01", pad) + toks.GHP + strings.Repeat("\x02", 3000)
			data := []byte("v=" + base64.StdEncoding.EncodeToString([]byte(plain)))
			want := scanAll(t, New(cat), data)
			if len(want) != 1 || want[0].Encoding != "base64" {
				t.Fatalf("pad %d: ScanBytes found %v", pad, toGot(want))
			}
			if g := scanReader(t, s, bytes.NewReader(data)); fmt.Sprint(g) != fmt.Sprint(toGot(want)) {
				t.Errorf("chunk %d pad %d: got %v, want %v", chunk, pad, g, toGot(want))
			}
		}
	}
}

func TestDecodeBudget(t *testing.T) {
	t.Parallel()
	toks := newEncTokens(t)
	cat := encCatalog(t)
	blob := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("lgu_ ghp_ \xAA"), 300)) // anchors: worth decoding
	data := []byte(blob + "\n" + base64.StdEncoding.EncodeToString([]byte(toks.LGU)) + "\n")
	s := NewWithOptions(cat, Options{DecodeBudget: 1000})
	var ms []Match
	err := s.ScanBytes(data, func(m Match) error { ms = append(ms, m); return nil })
	var be *DecodeBudgetError
	if !errors.As(err, &be) || len(ms) != 0 {
		t.Fatalf("got %d matches, err %v; want the budget error", len(ms), err)
	}
	if ms := scanAll(t, NewWithOptions(cat, Options{DecodeBudget: 1 << 20}), data); len(ms) != 1 {
		t.Fatalf("with room: %d matches", len(ms))
	}
}

// TestLongRunKernel holds the vectorised run finder to the scalar one.
func TestLongRunKernel(t *testing.T) {
	t.Parallel()
	d := newDecoder([]string{"lgu_"}, 40, 100, DefaultDecodeBudget, haveSIMD())
	scalar := *d
	scalar.simd = false
	rnd := uint64(1)
	for n := range 3000 {
		b := make([]byte, n%400)
		for i := range b {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			if rnd>>60 < 13 {
				b[i] = 'a' + byte(rnd>>40)%26
			} else {
				b[i] = " =.\n+%\\é"[rnd>>50%8]
			}
		}
		from := 0
		if len(b) > 0 {
			from = n % len(b)
			for from > 0 && d.class[b[from-1]] {
				from--
			}
		}
		s1, e1 := d.longRun(b, from)
		s2, e2 := scalar.longRun(b, from)
		if s1 != s2 || e1 != e2 {
			t.Fatalf("%q from %d: simd %d,%d scalar %d,%d", b, from, s1, e1, s2, e2)
		}
	}
}

// TestEncodedAgainstReference holds every fast-path variant (chunk sizes,
// modes, readers) to the reference on the carrier fixtures.
func TestEncodedAgainstReference(t *testing.T) {
	t.Parallel()
	toks := newEncTokens(t)
	ents, err := os.ReadDir(filepath.Join("testdata", "encodings"))
	if err != nil {
		t.Fatal(err)
	}
	vs := build(patterns.Default(), variants(false))
	for _, ent := range ents {
		data := renderFixture(t, ent.Name(), toks)
		checkBuilt(t, patterns.Default(), data, vs)
	}
}

// TestStrSet holds the filtered look-up to strings.Contains.
func TestStrSet(t *testing.T) {
	t.Parallel()
	words := [][]byte{[]byte("abcd"), []byte("bGd1X"), []byte("xyz0")}
	for _, stride := range []int{1, 2} {
		st := newStrSet(words, stride)
		for _, in := range []string{"", "abc", "abcd", "xabcd", "xxabcd", "..bGd1", "..bGd1X", "bGd1X..", "xyz", "qqxyz0", "qxyz0", "abcxyz0q"} {
			want := false
			for _, w := range words {
				want = want || strings.Contains(in, string(w))
			}
			if got := st.contains([]byte(in)); got != want {
				t.Errorf("stride %d contains(%q) = %v, want %v", stride, in, got, want)
			}
		}
	}
}

// TestDecodeBudgetInWalk: a file whose decoding passes the budget keeps
// the findings decoded so far and is reported to OnError (exit 2 in the
// CLI), like an unreadable file.
func TestDecodeBudgetInWalk(t *testing.T) {
	t.Parallel()
	toks := newEncTokens(t)
	dir := t.TempDir()
	data := base64.StdEncoding.EncodeToString([]byte(toks.GHP)) + "\n" +
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("lgu_ ghp_ \xAA"), 300)) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewWithOptions(encCatalog(t), Options{DecodeBudget: 500})
	var errs []string
	var fs []Finding
	err := s.ScanPaths(t.Context(), []string{dir}, WalkOptions{OnError: func(p string, err error) {
		errs = append(errs, filepath.Base(p)+": "+err.Error())
	}}, func(f Finding) error { fs = append(fs, f); return nil })
	if err == nil || len(fs) != 1 || fs[0].Encoding != "base64" || len(errs) != 1 || !strings.Contains(errs[0], "big.yaml: decoded") {
		t.Fatalf("err %v, findings %d, errors %q", err, len(fs), errs)
	}
}

// TestEncodedSignatureKey: a prefix-less key (anchored on its signature)
// is found base64-encoded too, as a Kubernetes Secret holds an Azure
// storage key.
func TestEncodedSignatureKey(t *testing.T) {
	t.Parallel()
	f, ok := patterns.Default().ByID("azure-storage-account-key")
	if !ok {
		t.Skip("no azure-storage-account-key format")
	}
	key := f.TruePositives[0]
	data := []byte("data:\n  key: " + base64.StdEncoding.EncodeToString([]byte(key)) + "\n")
	ms := scanAll(t, New(patterns.Default()), data)
	if len(ms) != 1 || ms[0].Encoding != "base64" || ms[0].Hash != patterns.HashBytes([]byte(key)) || ms[0].Line != 2 || ms[0].Column != 8 {
		t.Fatalf("got %v", toGot(ms))
	}
}

// FuzzDecodings runs every decoder over arbitrary runs: no panic, and
// every decoded byte maps back inside the run, in order.
func FuzzDecodings(f *testing.F) {
	for _, s := range []string{`\u006c\u0067`, "%6C%67%", "&#108;&#x67;&lowbar;&bogus;&", "bGd1X2FiYw==", "6c67755f", `\x6c\\\/\u12`, "&#99999999999;"} {
		f.Add([]byte(s))
	}
	d := newDecoder([]string{"lgu_"}, 4, 40, DefaultDecodeBudget, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		decodings(d, b, 0, len(b), func(dec []byte, m posMap, name string, escaped bool) {
			prev := -1
			for i := 0; i <= len(dec); i++ {
				var at int
				if i < len(dec) {
					at = m.at(i)
				} else {
					at = m.end(i)
				}
				if at < prev || at < 0 || at > len(b) {
					t.Fatalf("%s: decoded byte %d of %d maps to %d (previous %d), run of %d", name, i, len(dec), at, prev, len(b))
				}
				prev = at
			}
		})
	})
}

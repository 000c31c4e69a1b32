package scanner

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/leakguard/leakguard/patterns"
)

// got is the comparable form of a Match (the plaintext only ever lives in
// the test process).
type got struct {
	ID, Prefix, Token, Hash string
	Offset                  int64
	Line, Column, Column16  int
	Allowed                 bool
	Encoding                string
}

func (g got) String() string {
	return fmt.Sprintf("%s@%d(%d:%d/%d allowed=%v len=%d enc=%s)", g.ID, g.Offset, g.Line, g.Column, g.Column16, g.Allowed, len(g.Token), g.Encoding)
}

func toGot(ms []Match) []got {
	out := make([]got, 0, len(ms))
	for _, m := range ms {
		out = append(out, got{m.Format.ID, m.Prefix, m.Secret.Reveal(), m.Hash, m.Offset, m.Line, m.Column, m.Column16, m.Allowed, m.Encoding})
	}
	return out
}

func scanBytes(tb testing.TB, s *Scanner, data []byte) []got {
	tb.Helper()
	var ms []Match
	if err := s.ScanBytes(data, func(m Match) error { ms = append(ms, m); return nil }); err != nil {
		tb.Fatalf("ScanBytes: %v", err)
	}
	return toGot(ms)
}

func scanReader(tb testing.TB, s *Scanner, r io.Reader) []got {
	tb.Helper()
	var ms []Match
	if err := s.Scan(r, func(m Match) error { ms = append(ms, m); return nil }); err != nil {
		tb.Fatalf("Scan: %v", err)
	}
	return toGot(ms)
}

func sameGot(a, b []got) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sameGotStream is sameGot for Scan, which may not know a match's UTF-16
// column (0) when its line started before the history it keeps; when it
// gives one, it must be right.
func sameGotStream(a, b []got) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x := a[i]
		if x.Column16 == 0 {
			x.Column16 = b[i].Column16
		}
		if x != b[i] {
			return false
		}
	}
	return true
}

// variant is one configuration of the fast path checked against Reference.
type variant struct {
	name     string
	chunk    int
	mode     scanMode
	allowWin int
	reader   func([]byte) io.Reader
}

func variants(full bool) []variant {
	plain := func(b []byte) io.Reader { return bytes.NewReader(b) }
	one := func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }
	half := func(b []byte) io.Reader { return iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(b))) }
	var vs []variant
	chunks := []int{1, 3, 17, 64, DefaultChunkSize}
	if full {
		chunks = []int{1, 2, 3, 5, 8, 17, 64, 100, DefaultChunkSize}
	}
	for _, c := range chunks {
		for _, m := range []scanMode{modeAuto, modeAnchor, modeAC, modePair} {
			// Tiny chunks with the full allow window would copy 8 KiB per
			// byte; small windows exercise the same edges.
			w := 5
			if c >= 64 && m != modeAnchor && m != modePair {
				w = AllowWindow
			}
			vs = append(vs, variant{fmt.Sprintf("chunk%d/mode%d/allow%d", c, m, w), c, m, w, plain})
		}
	}
	vs = append(vs,
		variant{"one-byte-reader", 7, modeAuto, 5, one},
		variant{"half-reader", 4, modeAuto, AllowWindow, half},
	)
	return vs
}

func (v variant) scanner(c *patterns.Catalog) *Scanner {
	s := NewWithOptions(c, Options{ChunkSize: v.chunk})
	s.mode, s.allowWin = v.mode, v.allowWin
	return s
}

// checkAgainstReference runs every variant over data, through ScanBytes and
// Scan, and requires exactly Reference's answer.
func checkAgainstReference(t *testing.T, c *patterns.Catalog, data []byte, vs []variant) {
	t.Helper()
	checkBuilt(t, c, data, build(c, vs))
}

// builtVariant is a variant with its scanner, reused across inputs.
type builtVariant struct {
	variant
	s *Scanner
}

func build(c *patterns.Catalog, vs []variant) []builtVariant {
	out := make([]builtVariant, len(vs))
	for i, v := range vs {
		out[i] = builtVariant{v, v.scanner(c)}
	}
	return out
}

func checkBuilt(t *testing.T, c *patterns.Catalog, data []byte, vs []builtVariant) {
	t.Helper()
	refs := map[int][]got{}
	for _, v := range vs {
		want, ok := refs[v.allowWin]
		if !ok {
			want = toGot(reference(c, data, v.allowWin))
			refs[v.allowWin] = want
		}
		if g := scanBytes(t, v.s, data); !sameGot(g, want) {
			t.Fatalf("%s ScanBytes(%q):\n got %v\nwant %v", v.name, data, g, want)
		}
		if g := scanReader(t, v.s, v.reader(data)); !sameGotStream(g, want) {
			t.Fatalf("%s Scan(%q):\n got %v\nwant %v", v.name, data, g, want)
		}
	}
}

// trickyCatalog has overlapping prefixes, prefixes sharing offsets, dashes
// and underscores in alphabets, and checksum-free formats so that random
// input matches often.
func trickyCatalog(tb testing.TB) *patterns.Catalog {
	tb.Helper()
	c, err := patterns.NewCatalog(
		patterns.Format{ID: "t-long", Prefixes: []string{"abc_", "xab"}, Alphabet: "a-d_", BodyMin: 2, BodyMax: 6},
		patterns.Format{ID: "t-short", Prefixes: []string{"bc_"}, Alphabet: "a-d", BodyMin: 1, BodyMax: 3},
		patterns.Format{ID: "a-same", Prefixes: []string{"abc"}, Alphabet: "_a-d", BodyMin: 3, BodyMax: 5},
		patterns.Format{ID: "t-dash", Prefixes: []string{"a-b", "_-_"}, Alphabet: "0-9-", BodyMin: 1, BodyMax: 4},
		patterns.Format{ID: "t-crc", Prefixes: []string{"cc_"}, Alphabet: "0-9a-f", BodyMin: 1, BodyMax: 3,
			Checksum: patterns.Checksum{Algorithm: patterns.AlgoCRC32IEEE, Encoding: patterns.EncHex, Length: 8}},
		patterns.Format{ID: "t-upper", Prefixes: []string{"ATAT"}, Alphabet: "A-Z", BodyMin: 2, BodyMax: 2},
		// Prefix-less formats anchored on a signature: from the start, from
		// the end (variable length), and a Marvin32 one with '=' padding.
		patterns.Format{ID: "t-sig", Alphabet: "a-d", BodyMin: 4, BodyMax: 6,
			Signature: patterns.Signature{Text: "cab", Offset: 1}},
		patterns.Format{ID: "t-sigend", Alphabet: "0-9a-d", BodyMin: 5, BodyMax: 8,
			Signature: patterns.Signature{Text: "d9d", Offset: 4, FromEnd: true}},
		trickyMarvin(),
	)
	if err != nil {
		tb.Fatalf("tricky catalog: %v", err)
	}
	return c
}

// trickyMarvin is a small Marvin32 format: 4 body characters with "ZZZ" at
// 1, 6 checksum characters, "==" padding.
func trickyMarvin() patterns.Format {
	f := patterns.Format{ID: "t-marvin", Alphabet: "0-9A-Za-z+/", BodyMin: 4, BodyMax: 4,
		Signature: patterns.Signature{Text: "ZZZ", Offset: 1},
		Checksum: patterns.Checksum{Algorithm: patterns.AlgoMarvin32, Encoding: patterns.EncBase64,
			Length: 6, Seeds: []string{"Default0"}}}
	f.TruePositives = []string{f.WithChecksum("", "aZZZ"), f.WithChecksum("", "/ZZZ")}
	f.FalsePositives = []string{f.WithChecksum("", "aZZZ")[1:]}
	return f
}

// sampleToken builds a valid token of any format from body: the format's
// first prefix and body, or, for a signature format, body with the
// signature written at its place.
func sampleToken(f *patterns.Format, body string) string {
	if !f.HasSignature() {
		return f.WithChecksum(f.Prefixes[0], body)
	}
	b := []byte(body[:f.BodyMin])
	at := f.SignatureAt(f.TailMin())
	copy(b[at:], f.Signature.Text)
	return f.WithChecksum("", string(b))
}

// token builds a checksum-valid token of a default-catalog format.
func token(tb testing.TB, id, body string) string {
	tb.Helper()
	f, ok := patterns.Default().ByID(id)
	if !ok {
		tb.Fatalf("no format %s", id)
	}
	return f.WithChecksum(f.Prefixes[0], body)
}

// lookAlike returns tok with its last checksum character changed: same
// shape, wrong checksum.
func lookAlike(tok string) string {
	last := byte('A')
	if tok[len(tok)-1] == 'A' {
		last = 'B'
	}
	return tok[:len(tok)-1] + string(last)
}

const body30 = "AbCdEfGhIjKlMnOpQrStUvWxYz0123"

func TestScanTable(t *testing.T) {
	t.Parallel()
	ghp := token(t, "github-pat", body30)
	gho := token(t, "github-oauth", strings.Repeat("z", 30))
	bad := lookAlike(ghp)
	type loc struct {
		id        string
		line, col int
		allowed   bool
	}
	tests := []struct {
		name string
		in   string
		want []loc
	}{
		{"empty", "", nil},
		{"alone", ghp, []loc{{"github-pat", 1, 1, false}}},
		{"url-encoded-before", "https://x/?token%3D" + ghp + "&y=1", []loc{{"github-pat", 1, 20, false}}},
		{"letters-before", "xyz" + ghp, []loc{{"github-pat", 1, 4, false}}},
		{"alphabet-after", ghp + "a", nil},
		{"digit-after", ghp + "7 ", nil},
		{"dot-after", ghp + ".", []loc{{"github-pat", 1, 1, false}}},
		{"underscore-after", ghp + "_x", []loc{{"github-pat", 1, 1, false}}},
		{"short-body", ghp[:len(ghp)-2] + " ", nil},
		{"bad-checksum", bad, nil},
		{"adjacent-no-separator", ghp + gho, []loc{{"github-oauth", 1, len(ghp) + 1, false}}},
		{"adjacent-separated", ghp + "," + gho, []loc{{"github-pat", 1, 1, false}, {"github-oauth", 1, len(ghp) + 2, false}}},
		{"crlf", "a\r\nbb\r\n  " + ghp + "\r\n", []loc{{"github-pat", 3, 3, false}}},
		{"nul-bytes", "\x00\x00" + ghp + "\x00", []loc{{"github-pat", 1, 3, false}}},
		{"invalid-utf8", "\xff\xfe\xc3" + ghp + "\xff", []loc{{"github-pat", 1, 4, false}}},
		{"multibyte-column", "é " + ghp, []loc{{"github-pat", 1, 4, false}}},
		{"leakguard-allow", "x = \"" + ghp + "\" # leakguard:allow\n", []loc{{"github-pat", 1, 6, true}}},
		{"gitleaks-allow-before", "// gitleaks:allow\tk=" + ghp, []loc{{"github-pat", 1, 21, true}}},
		{"allow-on-other-line", "// gitleaks:allow\n" + ghp + "\n# leakguard:allow", []loc{{"github-pat", 2, 1, false}}},
		{"allow-too-far", ghp + strings.Repeat(" ", AllowWindow) + "leakguard:allow", []loc{{"github-pat", 1, 1, false}}},
		{"allow-just-in-reach", ghp + strings.Repeat(" ", AllowWindow-len(MarkerLeakguard)) + MarkerLeakguard, []loc{{"github-pat", 1, 1, true}}},
		{"prefix-only", "ghp_ ghp_", nil},
	}
	s := New(patterns.Default())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var gotLocs []loc
			for _, g := range scanBytes(t, s, []byte(tc.in)) {
				gotLocs = append(gotLocs, loc{g.ID, g.Line, g.Column, g.Allowed})
			}
			if fmt.Sprint(gotLocs) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", gotLocs, tc.want)
			}
			checkAgainstReference(t, patterns.Default(), []byte(tc.in), variants(false))
		})
	}
}

func TestScanFindingFields(t *testing.T) {
	t.Parallel()
	ghp := token(t, "github-pat", body30)
	ms := scanBytes(t, New(patterns.Default()), []byte("k="+ghp))
	if len(ms) != 1 {
		t.Fatalf("got %d matches, want 1", len(ms))
	}
	m := ms[0]
	if got, want := m.Token, ghp; got != want {
		t.Errorf("token = %q, want %q", got, want)
	}
	if got, want := m.Hash, patterns.HashToken(ghp); got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
	if got, want := m.Offset, int64(2); got != want {
		t.Errorf("offset = %d, want %d", got, want)
	}
}

func TestScanTrickyCatalog(t *testing.T) {
	t.Parallel()
	c := trickyCatalog(t)
	crc, _ := c.ByID("t-crc")
	tests := []struct {
		name string
		in   string
		want []string // ids in order
	}{
		{"same-offset-tie-break-by-id", "abc_dd ", []string{"a-same", "t-short"}},
		{"overlap-inner-prefix", "xabc_d.", []string{"t-long", "t-short"}},
		{"dash-alphabet", "a-b1-2 _-_9", []string{"t-dash", "t-dash"}},
		{"crc-valid", crc.WithChecksum("cc_", "ab1") + " ", []string{"t-crc"}},
		{"crc-too-long", crc.WithChecksum("cc_", "ab1") + "0", nil},
		{"anchor-at-start", "ATATXY", []string{"t-upper"}},
		{"anchor-at-end", "ATATX", nil},
	}
	s := New(c)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ids []string
			for _, g := range scanBytes(t, s, []byte(tc.in)) {
				ids = append(ids, g.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
			checkAgainstReference(t, c, []byte(tc.in), variants(true))
		})
	}
}

// TestScanChunkEdges places a token at every offset around the first few
// region edges for many small chunk sizes.
func TestScanChunkEdges(t *testing.T) {
	t.Parallel()
	c := patterns.Default()
	ghp := token(t, "github-pat", body30)
	filler := []byte(strings.Repeat("ab\ncd ", 40))
	for _, chunk := range []int{1, 2, 7, 31, 64} {
		t.Run(fmt.Sprint("chunk", chunk), func(t *testing.T) {
			t.Parallel()
			for off := 0; off < 2*chunk+len(ghp)+20 && off < len(filler); off++ {
				data := append(append(append([]byte{}, filler[:off]...), ' '), ghp...)
				data = append(append(data, ' '), filler[off:]...)
				for _, w := range []int{5, AllowWindow} {
					s := NewWithOptions(c, Options{ChunkSize: chunk})
					s.allowWin = w
					g := scanReader(t, s, bytes.NewReader(data))
					if len(g) != 1 || g[0].Offset != int64(off+1) {
						t.Fatalf("off %d allow %d: got %v", off, w, g)
					}
				}
				checkAgainstReference(t, c, data, []variant{{"edge", chunk, modeAuto, 5, func(b []byte) io.Reader { return bytes.NewReader(b) }}})
			}
		})
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	ghp := token(t, "github-pat", body30)
	data := []byte(ghp + " " + ghp + " " + ghp)
	stop := errors.New("stop")
	s := New(patterns.Default())
	for name, run := range map[string]func(func(Match) error) error{
		"bytes":  func(fn func(Match) error) error { return s.ScanBytes(data, fn) },
		"stream": func(fn func(Match) error) error { return s.Scan(bytes.NewReader(data), fn) },
	} {
		n := 0
		err := run(func(Match) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("%s: err %v after %d calls, want stop after 1", name, err, n)
		}
	}
}

func TestScanReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	err := New(patterns.Default()).Scan(iotest.ErrReader(boom), func(Match) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapped boom", err)
	}
}

func TestScanNoProgressReader(t *testing.T) {
	t.Parallel()
	err := New(patterns.Default()).Scan(zeroReader{}, func(Match) error { return nil })
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// TestScanLongLine streams a line much longer than the chunk size with a
// token far into it; the column is the byte offset in that line.
func TestScanLongLine(t *testing.T) {
	t.Parallel()
	ghp := token(t, "github-pat", body30)
	const n = 3 << 20
	r := io.MultiReader(strings.NewReader("x\n"), io.LimitReader(repeatReader('a'), n),
		strings.NewReader(" "+ghp+" leakguard:allow"), io.LimitReader(repeatReader('b'), n))
	g := scanReader(t, NewWithOptions(patterns.Default(), Options{ChunkSize: 64 << 10}), r)
	if len(g) != 1 {
		t.Fatalf("got %v", g)
	}
	if g[0].Line != 2 || g[0].Column != n+2 || !g[0].Allowed {
		t.Errorf("got line %d column %d allowed %v, want 2, %d, true", g[0].Line, g[0].Column, g[0].Allowed, n+2)
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestEmptyCatalog(t *testing.T) {
	t.Parallel()
	c, err := patterns.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	s := New(c)
	if g := scanBytes(t, s, []byte("ghp_x")); len(g) != 0 {
		t.Errorf("got %v", g)
	}
	if g := scanReader(t, s, strings.NewReader("ghp_x")); len(g) != 0 {
		t.Errorf("got %v", g)
	}
}

func FuzzScan(f *testing.F) {
	def := patterns.Default()
	for i, fm := range def.Formats() {
		tok := sampleToken(fm, strings.Repeat("a1B", fm.BodyMin))
		if !fm.HasSignature() {
			p := fm.Prefixes[i%len(fm.Prefixes)]
			tok = fm.WithChecksum(p, strings.Repeat("a1B", fm.BodyMin)[:fm.BodyMin])
		}
		f.Add([]byte("x=" + tok + tok + "\n " + lookAlike(tok) + " # gitleaks:allow"))
		// A true positive glued to itself, then followed by '_', then by
		// '.': which of them are tokens depends on the format's alphabet.
		tp := fm.TruePositives[0]
		f.Add([]byte(tp + tp + "_\n" + tp + "."))
		if s, err := fm.Generate(nil); err == nil && i%4 == 0 {
			f.Add([]byte("\r\n\x00" + s.Reveal() + "\xff"))
		}
	}
	m := trickyMarvin()
	for _, s := range []string{"", "abc_dd ", "xabc_d.", "a-b1-2 _-_9", "ATATXY", "____abc_abcd____", "cc_1\nleakguard:allow",
		"acabd.cabddd acab", "12d9d0 d9dd9d", m.TruePositives[0] + " " + strings.TrimRight(m.TruePositives[1], "=") + "=x"} {
		f.Add([]byte(s))
	}
	// Encoded tokens (decode.go), and runs that only look encoded.
	toks := newEncTokens(f)
	for _, name := range []string{"k8s-dockerconfig.yaml", "escapes.js", "entities.html", "nested.env", "jwt.txt"} {
		f.Add(renderFixture(f, name, toks))
	}
	f.Add([]byte("x=" + base64.StdEncoding.EncodeToString([]byte("abc_dd bc_a xabc_d. "+strings.Repeat("abc_dd,", 5))) + "=="))
	f.Add([]byte(`"\u0061\u0062\u0063\u005f\u0064\u0064" %61%62%63%5F%64%64%20%20%20%20%20%20%20%20 &#97;&#98;&#99;&lowbar;dd&amp;&amp;&amp;&amp;&amp;`))
	tricky := trickyCatalog(f)
	defVs, trickyVs := build(def, variants(false)), build(tricky, variants(false))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBuilt(t, def, data, defVs)
		checkBuilt(t, tricky, data, trickyVs)
	})
}

// TestScanConcurrent shares one Scanner between goroutines (run with -race).
func TestScanConcurrent(t *testing.T) {
	t.Parallel()
	c := patterns.Default()
	s := NewWithOptions(c, Options{ChunkSize: 256})
	var inputs [][]byte
	for i, fm := range c.Formats() {
		tok := sampleToken(fm, strings.Repeat("Zq9", fm.BodyMin))
		inputs = append(inputs, []byte(strings.Repeat("line of text_with_underscores\n", i*7)+"k="+tok+"\n"+lookAlike(tok)))
	}
	want := make([][]got, len(inputs))
	for i, in := range inputs {
		want[i] = toGot(Reference(c, in))
	}
	const workers = 8
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for round := 0; round < 20; round++ {
				i := (w + round) % len(inputs)
				var g []got
				var err error
				if round%2 == 0 {
					var ms []Match
					err = s.ScanBytes(inputs[i], func(m Match) error { ms = append(ms, m); return nil })
					g = toGot(ms)
				} else {
					var ms []Match
					err = s.Scan(bytes.NewReader(inputs[i]), func(m Match) error { ms = append(ms, m); return nil })
					g = toGot(ms)
				}
				if err == nil && !sameGot(g, want[i]) {
					err = fmt.Errorf("input %d: got %v, want %v", i, g, want[i])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestColumn16: the UTF-16 column (SARIF's unit) of a match after
// multi-byte characters, through ScanBytes and Scan alike.
func TestColumn16(t *testing.T) {
	t.Parallel()
	tok := token(t, "leakguard-user", "Column16SampleBodyAbcdefghijkl")
	tests := []struct {
		name             string
		line             string // the token goes at the end
		column, column16 int
	}{
		{"ascii", "key = ", 7, 7},
		{"latin", "clé = ", 8, 7},             // é: 2 bytes, 1 unit
		{"cjk", "密钥 = ", 10, 6},               // 3 bytes, 1 unit each
		{"emoji", "🔑 = ", 8, 6},               // 4 bytes, 2 units (a surrogate pair)
		{"invalid utf-8", "\xff\xfe= ", 5, 5}, // each bad byte: one U+FFFD
	}
	s := New(patterns.Default())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := []byte("first line\n" + tc.line + tok + "\nlast\n")
			for name, ms := range map[string][]got{
				"ScanBytes": scanBytes(t, s, data),
				"Scan":      scanReader(t, s, bytes.NewReader(data)),
			} {
				if len(ms) != 1 || ms[0].Line != 2 || ms[0].Column != tc.column || ms[0].Column16 != tc.column16 {
					t.Errorf("%s: %v; want line 2 column %d, UTF-16 column %d", name, ms, tc.column, tc.column16)
				}
			}
		})
	}
}

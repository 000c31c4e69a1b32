package patterns

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestOwnGenerateValidate(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, typ := range []string{TypeUser, TypeService, TypeAdmin} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			f, ok := c.Issued(typ)
			if !ok {
				t.Fatalf("no issued format for %s", typ)
			}
			s, err := f.Generate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.Len(), len(f.Prefixes[0])+36; got != want {
				t.Errorf("len %d, want %d", got, want)
			}
			if !f.Valid(s.Reveal()) {
				t.Errorf("generated token does not validate")
			}
			if g, ok := c.Identify(s.Reveal()); !ok || g.ID != f.ID {
				t.Errorf("Identify = %v, %v", g, ok)
			}
		})
	}
}

// TestCatalogSamples runs every format's true- and false-positive samples:
// each format ships both, each true positive is identified as exactly that
// format, and no false positive is identified as any format.
func TestCatalogSamples(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, f := range c.Formats() {
		t.Run(f.ID, func(t *testing.T) {
			t.Parallel()
			if len(f.TruePositives) == 0 || len(f.FalsePositives) == 0 {
				t.Fatalf("%d true and %d false positives; want both", len(f.TruePositives), len(f.FalsePositives))
			}
			if f.Source == "" {
				t.Error("no source cited")
			}
			for i, s := range f.TruePositives {
				if g, ok := c.Identify(s); !ok || g.ID != f.ID {
					t.Errorf("true_positives[%d]: Identify = %v, %v", i, g, ok)
				}
			}
			for i, s := range f.FalsePositives {
				if g, ok := c.Identify(s); ok {
					t.Errorf("false_positives[%d]: identified as %s", i, g.ID)
				}
			}
		})
	}
}

func TestCatalogContents(t *testing.T) {
	t.Parallel()
	c := Default()
	want := []string{"lgu_", "lgs_", "lga_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_",
		"glpat-", "glrt-", "glrtr-", "rbp_", "glsa_"}
	have := map[string]bool{}
	for _, f := range c.Formats() {
		for _, p := range f.Prefixes {
			have[p] = true
		}
	}
	for _, p := range want {
		if !have[p] {
			t.Errorf("catalog lacks prefix %q", p)
		}
	}
	if got, want := c.MaxLen(), len("glrtr-")+306+7; got != want {
		t.Errorf("MaxLen = %d, want %d", got, want)
	}
}

func TestCompileRejects(t *testing.T) {
	t.Parallel()
	good := func() Format {
		return Format{ID: "x", Prefixes: []string{"xx_"}, Alphabet: "0-9A-Za-z", BodyMin: 10,
			Checksum: Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase62, Length: 6}}
	}
	tests := []struct {
		name string
		edit func(*Format)
	}{
		{"missing id", func(f *Format) { f.ID = "" }},
		{"no prefixes", func(f *Format) { f.Prefixes = nil }},
		{"short prefix", func(f *Format) { f.Prefixes = []string{"x_"} }},
		{"prefix with space", func(f *Format) { f.Prefixes = []string{"xx _"} }},
		{"prefix non-ascii", func(f *Format) { f.Prefixes = []string{"xx\u00e9_"} }},
		{"duplicate prefix", func(f *Format) { f.Prefixes = []string{"xx_", "xx_"} }},
		{"empty alphabet", func(f *Format) { f.Alphabet = "" }},
		{"space in alphabet", func(f *Format) { f.Alphabet = "a-z " }},
		{"reversed range", func(f *Format) { f.Alphabet = "z-a" }},
		{"zero body", func(f *Format) { f.BodyMin = 0 }},
		{"max below min", func(f *Format) { f.BodyMax = 5 }},
		{"huge body", func(f *Format) { f.BodyMax = 5000 }},
		{"unknown algorithm", func(f *Format) { f.Checksum.Algorithm = "md5" }},
		{"unknown encoding", func(f *Format) { f.Checksum.Encoding = "base64" }},
		{"unknown coverage", func(f *Format) { f.Checksum.Covers = "all" }},
		{"checksum too short", func(f *Format) { f.Checksum.Length = 5 }},
		{"digits outside alphabet", func(f *Format) { f.Alphabet = "0-9A-Z" }},
		{"hex-le not 8", func(f *Format) { f.Checksum.Encoding, f.Checksum.Length = EncHexLE, 9 }},
		{"separator outside alphabet", func(f *Format) { f.Checksum.Separator = "_" }},
		{"none with length", func(f *Format) { f.Checksum = Checksum{Algorithm: AlgoNone, Length: 4} }},
		{"issued without type", func(f *Format) { f.Issued = true }},
		{"issued variable length", func(f *Format) { f.Issued, f.TokenType, f.BodyMax = true, TypeUser, 12 }},
	}
	if err := func() error { f := good(); return f.Compile() }(); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := good()
			tt.edit(&f)
			if err := f.Compile(); !errors.Is(err, ErrInvalidFormat) {
				t.Errorf("Compile = %v, want ErrInvalidFormat", err)
			}
		})
	}
}

func TestChecksumEncodings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		enc    string
		length int
		v      uint32
		want   string
	}{
		{EncBase62, 6, 0, "000000"},
		{EncBase62, 6, 0xffffffff, "4gfFC3"},
		{EncBase36, 7, 0xffffffff, "1z141z3"},
		{EncBase36, 7, 35, "000000z"},
		{EncHex, 8, 0xdeadbeef, "deadbeef"},
		{EncHexLE, 8, 0xdeadbeef, "efbeadde"},
		{EncHexLE, 8, 1, "01000000"},
	}
	for _, tt := range tests {
		t.Run(tt.enc+"/"+tt.want, func(t *testing.T) {
			t.Parallel()
			c := Checksum{Algorithm: AlgoCRC32IEEE, Encoding: tt.enc, Length: tt.length}
			if got := c.encode(tt.v); got != tt.want {
				t.Errorf("encode = %q, want %q", got, tt.want)
			}
			digits, _ := encodingDigits(tt.enc)
			if !c.matches(digits, tt.v, []byte(tt.want)) {
				t.Error("matches(own encoding) = false")
			}
			if c.matches(digits, tt.v+1, []byte(tt.want)) {
				t.Error("matches(v+1) = true")
			}
		})
	}
}

// TestValidTailAllocs: validation sits on the scanner's hot path.
func TestValidTailAllocs(t *testing.T) {
	c := Default()
	for _, f := range c.Formats() {
		tok := f.TruePositives[0]
		p, tail, _ := f.Split(tok)
		b := []byte(tail)
		if n := testing.AllocsPerRun(100, func() { f.ValidTail(p, b) }); n != 0 {
			t.Errorf("%s: ValidTail allocates %.0f times", f.ID, n)
		}
	}
}

func TestValidTailUnknownPrefix(t *testing.T) {
	t.Parallel()
	f, _ := Default().ByID("gitlab-pat")
	tok := f.TruePositives[0]
	if f.ValidTail("glxyz-", []byte(strings.TrimPrefix(tok, "glpat-"))) {
		t.Error("ValidTail accepted a prefix the format does not have")
	}
}

// cycleReader yields 0, 1, ..., 255, 0, 1, ... forever.
type cycleReader struct{ n byte }

func (r *cycleReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// TestFillUniformNoBias feeds every byte value equally often: with
// rejection sampling every alphabet character then comes out equally often
// (with a plain modulo, the first 256%62 characters would come out more).
func TestFillUniformNoBias(t *testing.T) {
	t.Parallel()
	for _, alpha := range []string{Base62, base36Digits, hexDigits, "abc"} {
		t.Run(alpha, func(t *testing.T) {
			t.Parallel()
			n := len(alpha)
			accepted := 256 - 256%n
			dst := make([]byte, accepted*8)
			if err := fillUniform(&cycleReader{}, []byte(alpha), dst); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if got, want := bytes.Count(dst, []byte{alpha[i]}), len(dst)/n; got != want {
					t.Errorf("%q drawn %d times, want %d", alpha[i], got, want)
				}
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	t.Parallel()
	c := Default()
	gl, _ := c.ByID("gitlab-pat")
	if _, err := gl.Generate(nil); !errors.Is(err, ErrNotGeneratable) {
		t.Errorf("variable-length Generate = %v, want ErrNotGeneratable", err)
	}
	raw := OwnFormat(TypeUser, "lgu_")
	if _, err := raw.Generate(nil); err == nil {
		t.Error("Generate on an uncompiled format succeeded")
	}
	own, _ := c.Issued(TypeUser)
	if _, err := own.Generate(bytes.NewReader(nil)); err == nil {
		t.Error("Generate with an empty random source succeeded")
	}
}

func TestGenerateSeparatorFormat(t *testing.T) {
	t.Parallel()
	f, _ := Default().ByID("grafana-service-account-token")
	for i := 0; i < 50; i++ {
		s, err := f.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		tok := s.Reveal()
		if !f.Valid(tok) || strings.Count(tok, "_") != 2 {
			t.Fatalf("generated %s does not have Grafana's shape", s.Redact("glsa_"))
		}
	}
}

func TestCheckSamplesRedacts(t *testing.T) {
	t.Parallel()
	f := OwnFormat(TypeUser, "lgu_")
	tok := f.TruePositives[0]
	f.TruePositives = []string{f.FalsePositives[0]}
	f.FalsePositives = []string{tok}
	if err := f.Compile(); err != nil {
		t.Fatal(err)
	}
	err := CheckSamples(&f)
	if !errors.Is(err, ErrSample) {
		t.Fatalf("CheckSamples = %v, want ErrSample", err)
	}
	if strings.Contains(err.Error(), tok[4:]) || strings.Contains(err.Error(), f.TruePositives[0][4:]) {
		t.Errorf("error shows a sample in plaintext: %v", err)
	}
	if _, err := NewCatalog(f); !errors.Is(err, ErrSample) {
		t.Errorf("NewCatalog = %v, want ErrSample", err)
	}
}

func TestNewCatalogConflicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		formats []Format
	}{
		{"duplicate id", []Format{OwnFormat(TypeUser, "aaa_"), OwnFormat(TypeUser, "bbb_")}},
		{"shared prefix", []Format{OwnFormat(TypeUser, "aaa_"), OwnFormat(TypeAdmin, "aaa_")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewCatalog(tt.formats...); !errors.Is(err, ErrInvalidFormat) {
				t.Errorf("NewCatalog = %v, want ErrInvalidFormat", err)
			}
		})
	}
}

func TestOwnFormatPrefixes(t *testing.T) {
	t.Parallel()
	c, err := NewCatalog(OwnFormatPrefixes(TypeService, []string{"acmes_", "lgs_"}))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := c.Issued(TypeService)
	if got, want := len(f.TruePositives), 2; got != want {
		t.Errorf("%d true positives, want one per prefix (%d)", got, want)
	}
	s, _ := f.Generate(nil)
	if !strings.HasPrefix(s.Reveal(), "acmes_") {
		t.Errorf("issued with %s, want the first prefix", PrefixOf(f, s.Reveal()))
	}
	for _, tp := range f.TruePositives {
		if g, ok := c.Identify(tp); !ok || g != f {
			t.Errorf("%s not identified", s.Redact(PrefixOf(f, tp)))
		}
	}
}

package patterns

import (
	"errors"
	"strings"
	"testing"
)

// TestGitHubFineGrained checks the structure-validated format case by case,
// beyond its samples: what Identify makes of each look-alike.
func TestGitHubFineGrained(t *testing.T) {
	t.Parallel()
	c := Default()
	f, ok := c.ByID("github-fine-grained-pat")
	if !ok {
		t.Fatal("no github-fine-grained-pat in Default")
	}
	if got, want := f.Validation(), ValidationStructure; got != want {
		t.Errorf("Validation = %q, want %q", got, want)
	}
	if got, want := f.Checksum.Algorithm, AlgoNone; got != want {
		t.Errorf("checksum algorithm %q, want %q", got, want)
	}
	head, tail := strings.Repeat("A", 22), strings.Repeat("z", 59)
	tests := []struct {
		name  string
		token string
		valid bool
	}{
		{"valid", "github_pat_" + head + "_" + tail, true},
		{"digits only", "github_pat_" + strings.Repeat("0", 22) + "_" + strings.Repeat("9", 59), true},
		{"first part 21", "github_pat_" + head[1:] + "_" + tail, false},
		{"first part 23", "github_pat_" + head + "A_" + tail, false},
		{"second part 58", "github_pat_" + head + "_" + tail[1:], false},
		{"second part 60", "github_pat_" + head + "_" + tail + "z", false},
		{"underscore at 21, length right", "github_pat_" + head[1:] + "_A" + tail, false},
		{"underscore at 23, length right", "github_pat_" + head + "A_" + tail[1:], false},
		{"no underscore", "github_pat_" + head + "A" + tail, false},
		{"two underscores", "github_pat_" + head + "_" + tail[:29] + "_" + tail[30:], false},
		{"leading underscore", "github_pat__" + head[1:] + "_" + tail, false},
		{"trailing underscore", "github_pat_" + head + "_" + tail + "_", false},
		{"dash", "github_pat_" + head + "_" + tail[:29] + "-" + tail[30:], false},
		{"all underscores", "github_pat_" + strings.Repeat("_", 82), false},
		{"classic shape", "github_pat_" + strings.Repeat("A", 36), false},
		{"upper-case prefix", "GITHUB_PAT_" + head + "_" + tail, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := f.Valid(tt.token); got != tt.valid {
				t.Errorf("Valid = %v, want %v", got, tt.valid)
			}
			g, ok := c.Identify(tt.token)
			if ok != tt.valid || ok && g != f {
				t.Errorf("Identify = %v, %v; want valid %v", g, ok, tt.valid)
			}
		})
	}
}

// TestValidation: what each built-in format reports, and what a configured
// format without checksum or structure reports.
func TestValidation(t *testing.T) {
	t.Parallel()
	for _, f := range Default().Formats() {
		want := ValidationChecksum
		if f.ID == "github-fine-grained-pat" {
			want = ValidationStructure
		}
		if got := f.Validation(); got != want {
			t.Errorf("%s: Validation = %q, want %q", f.ID, got, want)
		}
	}
	plain := Format{ID: "x", Prefixes: []string{"xx_"}, Alphabet: "a-z", BodyMin: 10}
	if err := plain.Compile(); err != nil {
		t.Fatal(err)
	}
	if got, want := plain.Validation(), ValidationPrefix; got != want {
		t.Errorf("no checksum, no structure: Validation = %q, want %q", got, want)
	}
	if !plain.Valid("xx_abcdefghij") || plain.Valid("xx_abcdefghijk") {
		t.Error("a format without checksum or structure no longer checks length and alphabet only")
	}
}

// TestCompileStructure: structure declarations accepted and refused.
func TestCompileStructure(t *testing.T) {
	t.Parallel()
	decl := func(mod func(*Format)) Format {
		f := Format{ID: "x", Prefixes: []string{"xx_"}, Alphabet: "0-9a-z_",
			Structure: Structure{Segments: []int{3, 4}, Separator: "_"}}
		mod(&f)
		return f
	}
	tests := []struct {
		name    string
		f       Format
		ok      bool
		bodyLen int
	}{
		{"derived body length", decl(func(*Format) {}), true, 8},
		{"matching body length", decl(func(f *Format) { f.BodyMin, f.BodyMax = 8, 8 }), true, 8},
		{"body_min only", decl(func(f *Format) { f.BodyMin = 8 }), true, 8},
		{"three segments, long separator", decl(func(f *Format) {
			f.Structure = Structure{Segments: []int{1, 2, 3}, Separator: "__"}
		}), true, 10},
		{"explicit none", decl(func(f *Format) { f.Checksum.Algorithm = AlgoNone }), true, 8},
		{"body length disagrees", decl(func(f *Format) { f.BodyMin = 9 }), false, 0},
		{"body range", decl(func(f *Format) { f.BodyMin, f.BodyMax = 8, 9 }), false, 0},
		{"with checksum", decl(func(f *Format) {
			f.Checksum = Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase36, Length: 7}
		}), false, 0},
		{"one segment", decl(func(f *Format) { f.Structure.Segments = []int{7} }), false, 0},
		{"separator only", decl(func(f *Format) { f.Structure.Segments = nil }), false, 0},
		{"no separator", decl(func(f *Format) { f.Structure.Separator = "" }), false, 0},
		{"zero segment", decl(func(f *Format) { f.Structure.Segments = []int{3, 0} }), false, 0},
		{"negative segment", decl(func(f *Format) { f.Structure.Segments = []int{3, -1} }), false, 0},
		{"huge segment", decl(func(f *Format) { f.Structure.Segments = []int{3, 5000} }), false, 0},
		{"too many segments", decl(func(f *Format) { f.Structure.Segments = make([]int, 17) }), false, 0},
		{"separator outside alphabet", decl(func(f *Format) { f.Structure.Separator = "-" }), false, 0},
		{"alphabet all separator", decl(func(f *Format) { f.Alphabet = "_" }), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.f.Compile()
			if (err == nil) != tt.ok {
				t.Fatalf("Compile = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidFormat) {
					t.Errorf("error %v is not ErrInvalidFormat", err)
				}
				return
			}
			if tt.f.BodyMin != tt.bodyLen || tt.f.BodyMax != tt.bodyLen {
				t.Errorf("body %d..%d, want %d", tt.f.BodyMin, tt.f.BodyMax, tt.bodyLen)
			}
			if got, want := tt.f.Validation(), ValidationStructure; got != want {
				t.Errorf("Validation = %q, want %q", got, want)
			}
		})
	}
}

// TestStructureValid: a three-segment structure with a two-character
// separator, against the reference and by hand.
func TestStructureValid(t *testing.T) {
	t.Parallel()
	f := Format{ID: "x", Prefixes: []string{"xx_"}, Alphabet: "a-z.",
		Structure: Structure{Segments: []int{1, 2, 3}, Separator: ".."}}
	if err := f.Compile(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token string
		valid bool
	}{
		{"xx_a..bc..def", true},
		{"xx_a..bc..de.", false},
		{"xx_a...c..def", false},
		{"xx_ab.c..d.ef", false},
		{"xx_a.bbc..def", false},
		{"xx_abcdefghij", false},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			t.Parallel()
			if got := f.Valid(tt.token); got != tt.valid {
				t.Errorf("Valid = %v, want %v", got, tt.valid)
			}
			if got := refValid(&f, tt.token); got != tt.valid {
				t.Errorf("refValid = %v, want %v", got, tt.valid)
			}
		})
	}
}

// TestStructureFormatConfig: a [[format]] with a structure loads, and its
// tokens are validated by it.
func TestStructureFormatConfig(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(fixture("structure_format.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := cfg.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := cat.ByID("acme-ci")
	if !ok {
		t.Fatal("acme-ci not in the catalog")
	}
	if got, want := f.Validation(), ValidationStructure; got != want {
		t.Errorf("Validation = %q, want %q", got, want)
	}
	if f.BodyMin != 33 || f.BodyMax != 33 {
		t.Errorf("body %d..%d, want 33 from the structure", f.BodyMin, f.BodyMax)
	}
}

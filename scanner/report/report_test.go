package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

var update = flag.Bool("update", false, "rewrite golden files (or set UPDATE_GOLDEN=1)")

// testCatalog is a fixed catalog so that goldens do not change when the
// default catalog grows.
func testCatalog(t *testing.T) *patterns.Catalog {
	t.Helper()
	gh := patterns.Format{
		ID: "github-pat", Description: "GitHub personal access token (classic)", Prefixes: []string{"ghp_"},
		Alphabet: "0-9A-Za-z", BodyMin: 30, BodyMax: 30,
		Checksum: patterns.Checksum{Algorithm: patterns.AlgoCRC32IEEE, Encoding: patterns.EncBase62, Length: 6},
	}
	fg := patterns.Format{
		ID: "github-fine-grained-pat", Description: "GitHub fine-grained personal access token",
		Prefixes: []string{"github_pat_"}, Alphabet: "0-9A-Za-z_",
		Structure: patterns.Structure{Segments: []int{22, 59}, Separator: "_"},
	}
	c, err := patterns.NewCatalog(append(patterns.OwnFormats(nil), gh, fg)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testFindings returns findings at fixed places and the plaintext tokens in
// them.
func testFindings(t *testing.T, c *patterns.Catalog) ([]scanner.Finding, []string) {
	t.Helper()
	mk := func(id, body string, line, col int) (scanner.Match, string) {
		f, ok := c.ByID(id)
		if !ok {
			t.Fatalf("no format %s", id)
		}
		tok := f.WithChecksum(f.Prefixes[0], body)
		return scanner.Match{Format: f, Prefix: f.Prefixes[0], Secret: patterns.NewSecret(tok),
			Hash: patterns.HashToken(tok), Line: line, Column: col}, tok
	}
	var fs []scanner.Finding
	var toks []string
	add := func(m scanner.Match, tok string, source leakguard.Source, path string, edit func(*scanner.Finding)) {
		f := scanner.NewFinding(m, source, path)
		f.Status = leakguard.StateUnknown
		if edit != nil {
			edit(&f)
		}
		fs = append(fs, f)
		toks = append(toks, tok)
	}
	m1, t1 := mk("github-pat", "abcdefghijklmnopqrstuvwxyz0123", 12, 9)
	m2, t2 := mk("leakguard-user", "ABCDEFGHIJKLMNOPQRSTUVWXYZ4567", 3, 1)
	m3, t3 := mk("leakguard-admin", "0123456789abcdefghijABCDEFGHIJ", 40, 17)
	add(m1, t1, leakguard.SourceFile, "./src/app.py", nil)
	add(m2, t2, leakguard.SourceFile, "docs/na\u00efve file.md", func(f *scanner.Finding) { f.Status = leakguard.StateActive })
	add(m1, t1, leakguard.SourceFile, "src/app.py", func(f *scanner.Finding) { f.Line = 80 }) // same token, second place
	add(m3, t3, leakguard.SourceDiff, "deploy/ci.yml", func(f *scanner.Finding) {
		f.Commit, f.Author = "d3387d0c873ee538b8859f165acae01afc481e1d", "a@example.org"
		f.Status, f.Action = leakguard.StateRevoked, leakguard.ActionRevoked
	})
	add(m2, t2, leakguard.SourceStdin, "", nil)
	m4, t4 := mk("github-fine-grained-pat", "ABCDEFGHIJKLMNOPQRSTUV_"+strings.Repeat("abcdefghij", 6)[:59], 7, 5)
	add(m4, t4, leakguard.SourceFile, "src/app.py", nil)
	Sort(fs)
	return fs, toks
}

func TestGolden(t *testing.T) {
	t.Parallel()
	c := testCatalog(t)
	findings, tokens := testFindings(t, c)
	tests := []struct {
		name, format, file string
		opts               Options
	}{
		{"text", FormatText, "findings.txt", Options{}},
		{"text colour", FormatText, "findings.color.txt", Options{Color: true}},
		{"json", FormatJSON, "findings.jsonl", Options{}},
		{"sarif", FormatSARIF, "findings.sarif", Options{Version: "v0.0.0-test", Catalog: c}},
		{"sarif empty", FormatSARIF, "empty.sarif", Options{Version: "v0.0.0-test", Catalog: c}},
		{"json empty", FormatJSON, "empty.jsonl", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := findings
			if strings.HasPrefix(tt.file, "empty") {
				in = nil
			}
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, in, tt.opts); err != nil {
				t.Fatal(err)
			}
			for _, tok := range tokens {
				if bytes.Contains(buf.Bytes(), []byte(tok)) || bytes.Contains(buf.Bytes(), []byte(tok[4:])) {
					t.Fatalf("%s output contains a plaintext token", tt.format)
				}
			}
			golden(t, tt.file, buf.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update || os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden; got:\n%s", name, got)
	}
}

func TestSARIFShape(t *testing.T) {
	t.Parallel()
	c := testCatalog(t)
	findings, _ := testFindings(t, c)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, findings, Options{Version: "1", Catalog: c}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, InformationURI string
					Rules                []struct {
						ID, Name         string
						ShortDescription struct{ Text string }
						FullDescription  struct{ Text string }
						Help             struct{ Text, Markdown string }
						Properties       map[string]any
					}
				}
			}
			Results []struct {
				RuleID              string
				RuleIndex           int
				Level               string
				Message             struct{ Text string }
				PartialFingerprints map[string]string
				Properties          struct{ Validation string }
				Locations           []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Schema == "" || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("header: %q %q %d runs", log.Schema, log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	for _, r := range rules {
		if r.ID == "" || r.Name == "" || r.ShortDescription.Text == "" || r.FullDescription.Text == "" ||
			r.Help.Text == "" || r.Help.Markdown == "" || r.Properties["security-severity"] == nil || r.Properties["tags"] == nil {
			t.Errorf("rule %q incomplete: %+v", r.ID, r)
		}
	}
	fps := map[string]string{}
	for i, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(rules) || rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex %d does not point at %s", i, r.RuleIndex, r.RuleID)
		}
		fp := r.PartialFingerprints[FingerprintKey]
		if fp == "" {
			t.Errorf("result %d: no fingerprint", i)
		}
		fps[findings[i].TokenHash+findings[i].Rule] = fp
		if got, want := r.Properties.Validation, findings[i].Validation; got != want || got == "" {
			t.Errorf("result %d: properties.validation %q, want %q", i, got, want)
		}
		for _, l := range r.Locations {
			uri := l.PhysicalLocation.ArtifactLocation.URI
			if strings.HasPrefix(uri, "./") || strings.Contains(uri, `\`) || l.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("result %d: location %+v", i, l)
			}
		}
	}
	// the same token at two lines has one fingerprint: it survives moving
	if len(fps) != 4 {
		t.Errorf("%d distinct fingerprints, want 4 (one per rule+token)", len(fps))
	}
	for _, r := range rules {
		want := "A checksum-valid "
		if r.ID == "github-fine-grained-pat" {
			want = "A structure-valid "
		}
		if !strings.HasPrefix(r.FullDescription.Text, want) {
			t.Errorf("rule %s: fullDescription %q, want it to start %q", r.ID, r.FullDescription.Text, want)
		}
	}
}

func TestArtifactURI(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, root, want string }{
		{"./src/a.go", "", "src/a.go"},
		{"src/a b.go", "", "src/a%20b.go"},
		{"/repo/src/a.go", "/repo", "src/a.go"},
		{"/elsewhere/a.go", "/repo", "file:///elsewhere/a.go"},
		{"/x/a.go", "", "file:///x/a.go"},
		{"a//b/../c.go", "", "a/c.go"},
	}
	for _, tt := range tests {
		if got := ArtifactURI(tt.path, tt.root); got != tt.want {
			t.Errorf("ArtifactURI(%q, %q) = %q, want %q", tt.path, tt.root, got, tt.want)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	t.Parallel()
	if err := Write(&bytes.Buffer{}, "xml", nil, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
	if ValidFormat("xml") || !ValidFormat("sarif") {
		t.Error("ValidFormat")
	}
}

func TestTextPathOnOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"", "-:1:1 "},
		{"a\nb.txt", `"a\nb.txt":1:1 `},
		{"bad\xff.txt", `"bad\xff.txt":1:1 `},
		{"caf\u00e9.txt", "caf\u00e9.txt:1:1 "},
		{"invoice\u202etxt.exe", `"invoice\u202etxt.exe":1:1 `},
		{"csi\u009b2J", `"csi\u009b2J":1:1 `},
		{"zero\u200bwidth", `"zero\u200bwidth":1:1 `},
		{"\u6771\u4eac \U0001f680.txt", "\u6771\u4eac \U0001f680.txt:1:1 "},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		f := scanner.Finding{Rule: "r", Path: tt.path, Line: 1, Column: 1}
		if err := WriteText(&buf, []scanner.Finding{f}, Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), tt.want) || strings.Count(buf.String(), "\n") != 1 {
			t.Errorf("path %q: got %q, want prefix %q", tt.path, buf.String(), tt.want)
		}
	}
}

// TestSARIFColumnsAreUTF16: SARIF regions count UTF-16 code units (the
// default columnKind GitHub code scanning reads); the byte column stands
// in only when the scanner did not know the UTF-16 one.
func TestSARIFColumnsAreUTF16(t *testing.T) {
	t.Parallel()
	c := testCatalog(t)
	findings, _ := testFindings(t, c)
	tests := []struct {
		name             string
		column, column16 int
		wantStart        int
	}{
		{"after multi-byte characters", 8, 7, 7},
		{"unknown: byte column", 8, 0, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := findings[0]
			f.Path, f.Line, f.Column, f.Column16 = "src/app.py", 3, tc.column, tc.column16
			var buf bytes.Buffer
			if err := WriteSARIF(&buf, []scanner.Finding{f}, Options{Version: "1", Catalog: c}); err != nil {
				t.Fatal(err)
			}
			var log struct {
				Runs []struct {
					Results []struct {
						Locations []struct {
							PhysicalLocation struct {
								Region struct{ StartLine, StartColumn, EndColumn int }
							}
						}
					}
				}
			}
			if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			reg := log.Runs[0].Results[0].Locations[0].PhysicalLocation.Region
			if reg.StartColumn != tc.wantStart || reg.EndColumn != tc.wantStart+f.Secret.Len() {
				t.Errorf("region %+v; want startColumn %d, endColumn %d", reg, tc.wantStart, tc.wantStart+f.Secret.Len())
			}
		})
	}
}

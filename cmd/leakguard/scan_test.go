package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

const demoDir = "../../testdata/demo"

// result is what one Run produced.
type result struct {
	stdout, stderr string
	code           int
}

// runScanCmd runs `leakguard scan args...` with stdin (nil = none) and env.
func runScanCmd(t *testing.T, stdin io.Reader, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	sio := IO{
		Stdin: stdin, Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	code := Run(context.Background(), append([]string{"scan"}, args...), sio)
	return result{out.String(), errOut.String(), code}
}

// newToken returns a fresh valid token of the default catalog's format id.
func newToken(t *testing.T, id string) string {
	t.Helper()
	f, ok := patterns.Default().ByID(id)
	if !ok {
		t.Fatalf("no format %s", id)
	}
	s, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Reveal()
}

// writeFiles creates files (name → content) under a new temp dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jsonFindings decodes JSON Lines output.
func jsonFindings(t *testing.T, out string) []scanner.Finding {
	t.Helper()
	var fs []scanner.Finding
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var f scanner.Finding
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("bad JSON Lines output %q: %v", out, err)
		}
		fs = append(fs, f)
	}
	return fs
}

// brief renders findings as "path:line:column rule source commit author".
func brief(fs []scanner.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s:%d:%d %s %s", f.Path, f.Line, f.Column, f.Rule, f.Source)
		if f.Commit != "" {
			fmt.Fprintf(&b, " %.7s", f.Commit)
		}
		if f.Author != "" {
			fmt.Fprintf(&b, " %s", f.Author)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestScanCommand(t *testing.T) {
	t.Parallel()
	tok := newToken(t, "leakguard-user")
	ghp := newToken(t, "github-pat")
	dir := writeFiles(t, map[string]string{
		"a.txt":         "x = " + tok + "\n",
		"sub/b.bin":     "\x00\x01\xff\xfe" + ghp + "\x00",
		"sub/bad.txt":   "caf\xe9 \xc3\x28 " + tok + " \xff",
		"empty.txt":     "",
		".git/config":   "token " + tok + "\n",
		"allowed.txt":   "t = " + ghp + " # leakguard:allow\n",
		"noise/look.go": "var s = \"" + tok[:len(tok)-1] + "\"\n",
	})
	tests := []struct {
		name     string
		stdin    io.Reader
		env      map[string]string
		args     []string
		code     int
		want     string // brief() of the JSON findings, when set
		stderr   string // substring of stderr, when set
		noStdout bool
	}{
		{name: "directory", args: []string{"--format", "json", dir}, code: 1,
			want: dir + "/a.txt:1:5 leakguard-user file\n" + dir + "/sub/b.bin:1:5 github-pat file\n" + dir + "/sub/bad.txt:1:9 leakguard-user file\n"},
		{name: "flags after paths", args: []string{dir + "/a.txt", "--format", "json"}, code: 1,
			want: dir + "/a.txt:1:5 leakguard-user file\n"},
		{name: "format from environment", env: map[string]string{"LEAKGUARD_FORMAT": "json"}, args: []string{dir + "/a.txt"}, code: 1,
			want: dir + "/a.txt:1:5 leakguard-user file\n"},
		{name: "stdin dash", stdin: strings.NewReader("one\n  " + tok), args: []string{"--format=json", "-"}, code: 1,
			want: ":2:3 leakguard-user stdin\n"},
		{name: "stdin piped, no path", stdin: strings.NewReader(ghp), args: []string{"--format=json"}, code: 1,
			want: ":1:1 github-pat stdin\n"},
		{name: "no path, no stdin", args: nil, code: 2, stderr: "no PATH given", noStdout: true},
		{name: "empty file", args: []string{dir + "/empty.txt"}, code: 0, noStdout: true},
		{name: "empty stdin", stdin: strings.NewReader(""), args: []string{"-"}, code: 0, noStdout: true},
		{name: "bad path still scans the rest", args: []string{"--format", "json", dir + "/missing", dir + "/a.txt"}, code: 2,
			want: dir + "/a.txt:1:5 leakguard-user file\n", stderr: "missing: no such file or directory"},
		{name: "only a bad path", args: []string{dir + "/missing"}, code: 2, stderr: "no such file", noStdout: true},
		{name: "bad flag", args: []string{"--nope", dir}, code: 2, stderr: "flag provided but not defined", noStdout: true},
		{name: "bad format", args: []string{"--format", "xml", dir}, code: 2, stderr: "bad --format", noStdout: true},
		{name: "modes exclude each other", args: []string{"--diff", "--git"}, code: 2, stderr: "exclude each other", noStdout: true},
		{name: "range without git", args: []string{"--range", "a..b", dir}, code: 2, stderr: "need --git", noStdout: true},
		{name: "revoke without store", args: []string{"--revoke", dir}, code: 2, stderr: "--revoke needs the token store named", noStdout: true},
		{name: "help", args: []string{"-h"}, code: 0, stderr: "usage: leakguard scan", noStdout: true},
		{name: "bad config", args: []string{"--config", dir + "/missing.toml", dir}, code: 2, stderr: "missing.toml", noStdout: true},
		{name: "bad log level", args: []string{"--log-level", "loud", dir}, code: 2, stderr: "bad --log-level", noStdout: true},
		{name: "double dash ends flags", args: []string{"--format", "json", "--", dir + "/a.txt"}, code: 1,
			want: dir + "/a.txt:1:5 leakguard-user file\n"},
		{name: "quiet", args: []string{"--quiet", dir + "/empty.txt"}, code: 0, noStdout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runScanCmd(t, tt.stdin, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if tt.want != "" {
				if got := brief(jsonFindings(t, r.stdout)); got != tt.want {
					t.Errorf("findings:\n%s\nwant:\n%s", got, tt.want)
				}
			}
			if tt.stderr != "" && !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
			if tt.noStdout && r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

func TestScanDemo(t *testing.T) {
	t.Parallel()
	r := runScanCmd(t, nil, nil, "--format", "json", demoDir)
	if r.code != 1 {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	got := brief(jsonFindings(t, r.stdout))
	want := `../../testdata/demo/.npmrc:2:34 npm-access-token file
../../testdata/demo/config/app.env:3:17 leakguard-service file
../../testdata/demo/config/app.env:4:14 github-pat file
../../testdata/demo/deploy/ci.yml:7:20 leakguard-admin file
../../testdata/demo/deploy/ci.yml:9:61 github-server-to-server file
../../testdata/demo/monitoring/grafana.ini:3:11 grafana-service-account-token file
../../testdata/demo/notes/incident.log:1:64 github-oauth file
../../testdata/demo/notes/incident.log:2:49 github-refresh file
../../testdata/demo/src/client.py:5:10 leakguard-user file
`
	if got != want {
		t.Errorf("demo findings:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(r.stderr, "9 findings") {
		t.Errorf("summary missing: %q", r.stderr)
	}
}

func TestScanDiff(t *testing.T) {
	t.Parallel()
	logWant := `app/config.env:2:7 leakguard-user diff 65b9cfb ada@example.org
app/crlf.txt:2:6 leakguard-service diff fcb3151 ada@example.org
app/main.txt:4:10 leakguard-service diff 1d24f5e bob@example.org
app/naïve file.txt:1:10 github-pat diff fcb3151 ada@example.org
app/old.txt:1:12 github-oauth diff 65b9cfb ada@example.org
app/settings.env:3:7 github-pat diff fcb3151 ada@example.org
`
	rangeWant := `app/crlf.txt:2:6 leakguard-service diff
app/main.txt:4:10 leakguard-service diff
app/naïve file.txt:1:10 github-pat diff
app/settings.env:3:7 github-pat diff
`
	logPatch := readFixture(t, "testdata/diff/log.patch")
	tests := []struct {
		name   string
		stdin  io.Reader
		args   []string
		code   int
		want   string
		stderr string
	}{
		{"git log -p", bytes.NewReader(logPatch), []string{"--diff", "--format", "json"}, 1, logWant, ""},
		{"git diff", bytes.NewReader(readFixture(t, "testdata/diff/range.diff")), []string{"--diff", "--format", "json"}, 1, rangeWant, ""},
		{"diff file argument", nil, []string{"--diff", "--format", "json", "testdata/diff/range.diff"}, 1, rangeWant, ""},
		{"truncated", bytes.NewReader(logPatch[:bytes.Index(logPatch, []byte("+X-Token"))+20]), []string{"--diff", "--format", "json"}, 2, "", "truncated hunk"},
		{"malformed", strings.NewReader("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n?\n"), []string{"--diff"}, 2, "", "unexpected line in hunk"},
		{"no diff on stdin", nil, []string{"--diff"}, 2, "", "not a pipe"},
		{"not a diff", strings.NewReader("just text " + newToken(t, "github-pat") + "\n"), []string{"--diff"}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runScanCmd(t, tt.stdin, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if got := brief(jsonFindings(t, r.stdout)); got != tt.want {
				t.Errorf("findings:\n%s\nwant:\n%s", got, tt.want)
			}
			if tt.stderr != "" && !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
		})
	}
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestScanOutputFile(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "report.sarif")
	r := runScanCmd(t, nil, nil, "--format", "sarif", "--output", out, demoDir)
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q; stderr %s", r.code, r.stdout, r.stderr)
	}
	var log struct {
		Version string
		Runs    []struct{ Results []json.RawMessage }
	}
	if err := json.Unmarshal(readFixture(t, out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 9 {
		t.Errorf("sarif: version %q, %d runs", log.Version, len(log.Runs))
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	r = runScanCmd(t, nil, nil, "--output", filepath.Join(t.TempDir(), "no", "such", "dir", "r.txt"), demoDir)
	if r.code != 2 || !strings.Contains(r.stderr, "output") {
		t.Errorf("unwritable output: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestScanSuppressions(t *testing.T) {
	t.Parallel()
	tok, other := newToken(t, "leakguard-service"), newToken(t, "github-oauth")
	stale := strings.Repeat("ab", 32)
	dir := writeFiles(t, map[string]string{
		"a.txt":            tok + "\n" + other + "\n",
		".leakguardignore": "# test fixtures\n" + patterns.HashToken(tok) + "  # the fixture token\nsha256:" + stale + "\n",
	})
	r := runScanCmd(t, nil, nil, "--format", "json", dir)
	if got := jsonFindings(t, r.stdout); r.code != 1 || len(got) != 1 || got[0].Rule != "github-oauth" {
		t.Fatalf("ignore file: exit %d, findings %v", r.code, got)
	}
	if !strings.Contains(r.stderr, stale) || !strings.Contains(r.stderr, "matched no finding") || strings.Contains(r.stderr, patterns.HashToken(tok)) {
		t.Errorf("stale entry report: %q", r.stderr)
	}
	baseline := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(baseline, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runScanCmd(t, nil, nil, "--baseline", baseline, dir)
	if r.code != 0 || r.stdout != "" {
		t.Errorf("baseline: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// a plaintext token pasted instead of its hash is refused without echoing it
	bad := writeFiles(t, map[string]string{".leakguardignore": "# ok\n" + tok + "\n"})
	if r = runScanCmd(t, nil, nil, bad); r.code != 2 || !strings.Contains(r.stderr, ".leakguardignore:2") || strings.Contains(r.stderr, tok[4:]) {
		t.Errorf("bad ignore file: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestScanNeverPrintsTokens scans every fixture in every format and checks
// that no output (stdout, stderr, report file) contains a planted token.
func TestScanNeverPrintsTokens(t *testing.T) {
	t.Parallel()
	tokens := plantedTokens(t)
	if len(tokens) < 7 {
		t.Fatalf("only %d planted tokens found", len(tokens))
	}
	for _, format := range []string{"text", "json", "sarif"} {
		for _, input := range []struct {
			name  string
			stdin func() io.Reader
			args  []string
		}{
			{"demo", nil, []string{demoDir, "--log-level", "debug"}},
			{"diff", func() io.Reader { return bytes.NewReader(readFixture(t, "testdata/diff/log.patch")) }, []string{"--diff", "--log-level", "debug"}},
			{"stdin", func() io.Reader { return bytes.NewReader(readFixture(t, demoDir+"/config/app.env")) }, []string{"-"}},
		} {
			t.Run(format+"/"+input.name, func(t *testing.T) {
				t.Parallel()
				var stdin io.Reader
				if input.stdin != nil {
					stdin = input.stdin()
				}
				out := filepath.Join(t.TempDir(), "report")
				r := runScanCmd(t, stdin, nil, append([]string{"--format", format}, input.args...)...)
				rf := runScanCmd(t, bytes.NewReader(nil), nil, append([]string{"--format", format, "--output", out}, input.args...)...)
				all := r.stdout + r.stderr + rf.stdout + rf.stderr + string(readFixture(t, out))
				if r.code != 1 {
					t.Errorf("exit %d; stderr %s", r.code, r.stderr)
				}
				for _, tok := range tokens {
					if strings.Contains(all, tok) || strings.Contains(all, tok[4:]) {
						t.Fatalf("output contains a plaintext token (%s…)", tok[:4])
					}
				}
			})
		}
	}
}

// plantedTokens returns the plaintext of every token in the fixtures.
func plantedTokens(t *testing.T) []string {
	t.Helper()
	sc := scanner.New(patterns.Default())
	var toks []string
	for _, path := range []string{demoDir, "testdata/diff"} {
		err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			return sc.ScanBytes(readFixture(t, p), func(m scanner.Match) error {
				toks = append(toks, m.Secret.Reveal())
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return toks
}

func TestScanGitHistory(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	tok := newToken(t, "leakguard-admin")
	dir := writeFiles(t, map[string]string{"conf/app.env": "x=1\nTOKEN=" + tok + "\n"})
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=T", "-c", "user.email=t@example.org"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "leak")
	r := runScanCmd(t, nil, nil, "--git", "--format", "json", dir)
	if r.code != 1 {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	got := jsonFindings(t, r.stdout)
	if len(got) != 1 || got[0].Path != "conf/app.env" || got[0].Line != 2 || got[0].Source != leakguard.SourceGit || len(got[0].Commit) != 40 {
		t.Errorf("findings: %s", brief(got))
	}
}

// TestScanEscapesHostilePaths: file names in a scanned repository are
// chosen by whoever wrote it; the text report and the error messages show
// their control and bidi characters as escapes, and JSON keeps them as
// they are.
func TestScanEscapesHostilePaths(t *testing.T) {
	t.Parallel()
	tok := newToken(t, "leakguard-user")
	name := "a\x1b[2J\x1b]0;pwned\a\u202etxt.exe"
	dir := writeFiles(t, map[string]string{name: tok + "\n", "b\r\nfake.txt": tok})
	missing := filepath.Join(dir, "gone\x1b[31m\u2066")
	r := runScanCmd(t, nil, nil, dir, missing)
	if r.code != exitFail {
		t.Errorf("exit %d, want %d (a missing path)", r.code, exitFail)
	}
	for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if c, bad := terminalUnsafe(out); bad {
			t.Errorf("%s holds raw %U: %q", what, c, out)
		}
	}
	if n := strings.Count(r.stdout, "\n"); n != 2 {
		t.Errorf("text report has %d lines, want 2: %q", n, r.stdout)
	}
	if !strings.Contains(r.stderr, `gone\x1b[31m\u2066`) {
		t.Errorf("stderr does not name the missing path escaped: %q", r.stderr)
	}
	r = runScanCmd(t, nil, nil, "--format", "json", dir)
	fs := jsonFindings(t, r.stdout)
	if len(fs) != 2 || fs[0].Path != filepath.Join(dir, name) {
		t.Errorf("json findings %+v, want the raw path %q first", fs, filepath.Join(dir, name))
	}
}

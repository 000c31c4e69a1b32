package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jarWith is a jar (a zip) holding content at name.
func jarWith(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScanArchives: `scan DIR` opens a .jar and reports the token at its
// "!" path, in every format; --no-archives scans the jar's bytes; a
// corrupt archive is a warning and exit 2; a baseline suppresses a
// finding inside an archive by its hash, as anywhere else.
func TestScanArchives(t *testing.T) {
	t.Parallel()
	tok := newToken(t, "github-pat")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	jar := jarWith(t, "BOOT-INF/classes/application.properties", "a=1\ngithub.token="+tok+"\n")
	if err := os.WriteFile(filepath.Join(dir, "dist", "app.jar"), jar, 0o644); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "dist", "app.jar") + "!BOOT-INF/classes/application.properties"

	r := runScanCmd(t, nil, nil, "--format", "json", dir)
	fs := jsonFindings(t, r.stdout)
	if r.code != exitFindings || len(fs) != 1 || fs[0].Path != want || fs[0].Line != 2 || fs[0].Column != 14 || fs[0].Source != "file" {
		t.Fatalf("exit %d, findings %s, stderr %s; want %s:2:14", r.code, brief(fs), r.stderr, want)
	}
	if r := runScanCmd(t, nil, nil, dir); !strings.Contains(r.stdout, want+":2:14") {
		t.Errorf("text report %q does not name %s:2:14", r.stdout, want)
	}
	if r := runScanCmd(t, nil, nil, "--no-archives", dir); r.code != exitOK {
		t.Errorf("--no-archives: exit %d, stdout %q: the jar's bytes hold no plain token", r.code, r.stdout)
	}
	baseline := filepath.Join(t.TempDir(), "base.json")
	if err := os.WriteFile(baseline, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runScanCmd(t, nil, nil, "--baseline", baseline, dir); r.code != exitOK {
		t.Errorf("with the baseline: exit %d, stdout %q", r.code, r.stdout)
	}

	if err := os.WriteFile(filepath.Join(dir, "broken.zip"), jar[:40], 0o644); err != nil {
		t.Fatal(err)
	}
	r = runScanCmd(t, nil, nil, "--format", "json", dir)
	if r.code != exitFail || len(jsonFindings(t, r.stdout)) != 1 || !strings.Contains(r.stderr, "broken.zip") {
		t.Errorf("corrupt zip: exit %d, stdout %q, stderr %q; want exit 2, the jar's finding and a warning", r.code, r.stdout, r.stderr)
	}
}

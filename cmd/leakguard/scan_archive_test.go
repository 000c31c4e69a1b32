package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// tarWith is a tar of the files, in order (name, content, name, ...).
func tarWith(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		if err := w.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Size: int64(len(files[i+1]))}); err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// digest is the hex sha256 of b.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestScanImage: `scan image.tar` of a `docker save` tarball reports a
// token in a layer at image.tar!blobs/sha256/<layer digest>!<file> and
// the tokens of the config (ENV in Env and in history) at
// image.tar!blobs/sha256/<config digest>, line 1.
func TestScanImage(t *testing.T) {
	t.Parallel()
	user, pat := newToken(t, "leakguard-user"), newToken(t, "github-pat")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarWith(t, "app/settings.py", "DEBUG = False\nGITHUB_TOKEN = \""+pat+"\"\n"))
	zw.Close()
	layer := gz.String()
	config := `{"config":{"Env":["PATH=/usr/bin","API_TOKEN=` + user + `"]},"history":[{"created_by":"/bin/sh -c #(nop)  ENV API_TOKEN=` +
		user + `","empty_layer":true}],"rootfs":{"type":"layers"}}`
	lb, cb := "blobs/sha256/"+digest([]byte(layer)), "blobs/sha256/"+digest([]byte(config))
	image := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(image, tarWith(t, cb, config, lb, layer, "oci-layout", `{"imageLayoutVersion":"1.0.0"}`,
		"manifest.json", `[{"Config":"`+cb+`","Layers":["`+lb+`"]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runScanCmd(t, nil, nil, "--format", "json", image)
	fs := jsonFindings(t, r.stdout)
	if r.code != exitFindings || len(fs) != 3 {
		t.Fatalf("exit %d, findings %s, stderr %s; want 3", r.code, brief(fs), r.stderr)
	}
	want := []string{image + "!" + cb + ":1:" + strconv.Itoa(strings.Index(config, user)+1),
		image + "!" + cb + ":1:" + strconv.Itoa(strings.LastIndex(config, user)+1), image + "!" + lb + "!app/settings.py:2:17"}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Column))
	}
	slices.Sort(got) // the order of the paths depends on the digests
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings at %q, want %q", got, want)
	}
}

// TestScanArchiveProblemRedacted: a corrupt archive is told by its path,
// with a token in that path redacted, in a directory and in history.
func TestScanArchiveProblemRedacted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inName := ghpToken(t, "inname")
	jar := jarWith(t, "a.txt", "x\n")
	if err := os.WriteFile(filepath.Join(dir, "broken-"+inName+".zip"), jar[:40], 0o644); err != nil {
		t.Fatal(err)
	}
	r := runScanCmd(t, nil, nil, dir)
	if r.code != exitFail || !strings.Contains(r.stderr, "broken-") || strings.Contains(r.stderr, inName) {
		t.Errorf("scan DIR: exit %d, stderr %q", r.code, r.stderr)
	}
}

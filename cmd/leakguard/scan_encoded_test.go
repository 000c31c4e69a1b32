package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// zipWith is a zip of the files (name, content, name, ...).
func zipWith(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		f, err := w.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScanWhereTokensHide is issue 14's "done when" through the CLI: one
// `leakguard scan DIR` finds our token and a GitHub PAT in a Kubernetes
// Secret (base64), a .dockerconfigjson (base64 of user:token) and a
// Kubernetes dockerconfigjson Secret (base64 of that), an npm .tgz, and a
// jar inside a zip; each finding says how it was found, with the decoded
// token's hash; --no-decode finds only the plain ones.
func TestScanWhereTokensHide(t *testing.T) {
	t.Parallel()
	ours, pat := newToken(t, "leakguard-user"), newToken(t, "github-pat")
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	dockercfg := `{"auths":{"ghcr.io":{"auth":"` + b64("ci:"+pat) + `"}}}`
	dir := t.TempDir()
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	zw.Write(tarWith(t, "package/package.json", `{"name":"left-pad"}`, "package/lib/config.js", "module.exports = {token: '"+ours+"'}\n"))
	zw.Close()
	files := map[string]string{
		"k8s/secret.yaml": "apiVersion: v1\nkind: Secret\ndata:\n  token: " + b64(ours) + "\n  github: " + b64(pat) + "\n",
		"k8s/registry.yaml": "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: " +
			b64(dockercfg) + "\n",
		"home/.docker/config.json":  dockercfg + "\n",
		"vendor/left-pad-1.3.0.tgz": tgz.String(),
		"dist/site.zip":             string(zipWith(t, "lib/app.jar", string(jarWith(t, "application.properties", "github.token="+pat+"\n")))),
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runScanCmd(t, nil, nil, "--format", "json", dir)
	fs := jsonFindings(t, r.stdout)
	var got []string
	for _, f := range fs {
		rel := strings.TrimPrefix(filepath.ToSlash(f.Path), filepath.ToSlash(dir)+"/")
		got = append(got, fmt.Sprintf("%s:%d %s %s", rel, f.Line, f.Rule, f.Encoding))
		if !strings.Contains(r.stdout, `"token_hash":"`+f.TokenHash+`"`) || strings.Contains(r.stdout, ours) || strings.Contains(r.stdout, pat) {
			t.Errorf("report holds a plaintext token or lacks the hash")
		}
	}
	want := []string{
		"dist/site.zip!lib/app.jar!application.properties:1 github-pat ",
		"home/.docker/config.json:1 github-pat base64",
		"k8s/registry.yaml:5 github-pat base64/base64",
		"k8s/secret.yaml:4 leakguard-user base64",
		"k8s/secret.yaml:5 github-pat base64",
		"vendor/left-pad-1.3.0.tgz!package/lib/config.js:1 leakguard-user ",
	}
	slices.Sort(got)
	if r.code != exitFindings || !slices.Equal(got, want) {
		t.Fatalf("exit %d, findings\n%s\nwant\n%s\nstderr %s", r.code, strings.Join(got, "\n"), strings.Join(want, "\n"), r.stderr)
	}
	if fs[0].TokenHash == "" {
		t.Fatal("no hash")
	}
	text := runScanCmd(t, nil, nil, dir)
	if !strings.Contains(text.stdout, "(encoded: base64/base64)") {
		t.Errorf("text report does not say how a token was found:\n%s", text.stdout)
	}
	plain := jsonFindings(t, runScanCmd(t, nil, nil, "--format", "json", "--no-decode", dir).stdout)
	if len(plain) != 2 {
		t.Errorf("--no-decode: %s, want the 2 plain tokens", brief(plain))
	}
}

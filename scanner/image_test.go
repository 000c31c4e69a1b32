package scanner

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/archive"
)

// genToken is a fresh token of the format id.
func genToken(t testing.TB, id string) string {
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

// blob is content and its OCI name: "sha256:" and its hex digest.
type blob struct {
	data []byte
	hex  string
}

func blobOf(data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{data: data, hex: hex.EncodeToString(sum[:])}
}

// testImage is an image as `docker build` of
//
//	FROM scratch
//	ENV API_TOKEN=<user>
//	COPY app/ /app/
//
// (with the token also in Cmd, Entrypoint and a label) would make it: a
// config whose Env, Cmd, Entrypoint, Labels and history hold the user token, a
// gzip layer with app/settings.py (the PAT on line 2, column 17) and a zstd
// layer with etc/app.env (the PAT at 1:14).
type testImage struct {
	user, pat string
	config    blob
	layers    []blob // gzip, zstd
}

func newTestImage(t testing.TB) testImage {
	t.Helper()
	im := testImage{user: genToken(t, "leakguard-user"), pat: genToken(t, "github-pat")}
	settings := []byte("DEBUG = False\nGITHUB_TOKEN = \"" + im.pat + "\"\n")
	im.layers = []blob{
		blobOf(gzOf(t, tarOf(t, member{name: "app/", typ: '5'}, member{name: "app/settings.py", data: settings}))),
		blobOf(zstdOf(t, tarOf(t, member{name: "etc/app.env", data: []byte("GITHUB_TOKEN=" + im.pat + "\n")}))),
	}
	cfg, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Env": []string{"PATH=/usr/bin", "API_TOKEN=" + im.user}, "Cmd": []string{"--token", im.user},
			"Entrypoint": []string{"/app/run", "--token=" + im.user}, "Labels": map[string]string{"org.example.token": im.user}},
		"history": []map[string]any{
			{"created_by": "/bin/sh -c #(nop)  ENV API_TOKEN=" + im.user, "empty_layer": true},
			{"created_by": "/bin/sh -c #(nop) COPY dir:1 in /app/ "},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + im.layers[0].hex}},
	})
	if err != nil {
		t.Fatal(err)
	}
	im.config = blobOf(cfg)
	return im
}

// dockerSave is the image as `docker save` (Docker 25+) writes it: an OCI
// layout in a tar, with manifest.json last.
func (im testImage) dockerSave(t testing.TB) []byte {
	t.Helper()
	ms := []member{{name: "blobs/sha256/" + im.config.hex, data: im.config.data}}
	layers := []string{}
	for _, l := range im.layers {
		ms = append(ms, member{name: "blobs/sha256/" + l.hex, data: l.data})
		layers = append(layers, "blobs/sha256/"+l.hex)
	}
	manifest, _ := json.Marshal([]map[string]any{{"Config": "blobs/sha256/" + im.config.hex, "RepoTags": []string{"app:1"}, "Layers": layers}})
	ms = append(ms, member{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, member{name: "manifest.json", data: manifest})
	return tarOf(t, ms...)
}

// legacySave is the image as `docker save` before Docker 25 wrote it:
// <id>/layer.tar (uncompressed) and <config digest>.json.
func (im testImage) legacySave(t testing.TB) []byte {
	t.Helper()
	layer := tarOf(t, member{name: "app/settings.py", data: []byte("DEBUG = False\nGITHUB_TOKEN = \"" + im.pat + "\"\n")})
	manifest, _ := json.Marshal([]map[string]any{{"Config": im.config.hex + ".json", "Layers": []string{"0a1b/layer.tar"}}})
	return tarOf(t, member{name: "0a1b/VERSION", data: []byte("1.0")}, member{name: "0a1b/layer.tar", data: layer},
		member{name: im.config.hex + ".json", data: im.config.data}, member{name: "manifest.json", data: manifest})
}

// ociLayout writes the image as an OCI image layout directory under dir.
func (im testImage) ociLayout(t testing.TB, dir string) {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range append([]blob{im.config}, im.layers...) {
		if err := os.WriteFile(filepath.Join(blobs, b.hex), b.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`, "index.json": `{"schemaVersion":2,"manifests":[]}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// configFindings are where the test image's config holds the user token:
// at the config's path, "!image-config" and the field's jq path, with the
// line and column in the field's value.
func configFindings(at string) []string {
	return []string{
		at + "!image-config.config.Env[1]:1:11",       // ENV API_TOKEN=<token>
		at + "!image-config.config.Cmd[1]:1:1",        // CMD ["--token", "<token>"]
		at + "!image-config.config.Entrypoint[1]:1:9", // --token=<token>
		at + `!image-config.config.Labels["org.example.token"]:1:1`,
		at + "!image-config.history[0].created_by:1:34", // the ENV instruction
	}
}

// TestScanImages: a token in a layer is at the image's path, "!", the
// layer's name in the image (blobs/sha256/<digest> or <id>/layer.tar) and
// "!" the file in the layer; a token in the config is at the config's path,
// "!image-config" and the jq path of the field that holds it (Env, Cmd,
// Entrypoint, Labels, history), line 1, its column in the field's value.
func TestScanImages(t *testing.T) {
	t.Parallel()
	im := newTestImage(t)
	if n := strings.Count(string(im.config.data), im.user); n != 5 {
		t.Fatalf("the config holds the token %d times, want 5 (Env, Cmd, Entrypoint, Labels, history)", n)
	}
	lib := zipOf(t, zip.Deflate, member{name: "lib.properties", data: []byte("token=" + im.pat + "\n")})
	jar := zipOf(t, zip.Store, member{name: "BOOT-INF/lib/lib.jar", data: lib})
	boot := blobOf(gzOf(t, tarOf(t, member{name: "app/app.jar", data: jar})))
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  []string
	}{
		{"docker save", map[string][]byte{"image.tar": im.dockerSave(t)}, append(configFindings("image.tar!blobs/sha256/"+im.config.hex),
			"image.tar!blobs/sha256/"+im.layers[0].hex+"!app/settings.py:2:17", "image.tar!blobs/sha256/"+im.layers[1].hex+"!etc/app.env:1:14")},
		{"legacy docker save", map[string][]byte{"image.tar": im.legacySave(t)}, append(configFindings("image.tar!"+im.config.hex+".json"),
			"image.tar!0a1b/layer.tar!app/settings.py:2:17")},
		// Four levels: image, layer, fat jar, library jar (DefaultLimits).
		{"spring boot image", map[string][]byte{"image.tar": tarOf(t, member{name: "blobs/sha256/" + boot.hex, data: boot.data})},
			[]string{"image.tar!blobs/sha256/" + boot.hex + "!app/app.jar!BOOT-INF/lib/lib.jar!lib.properties:1:7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := scanTree(t, tc.files, &archive.Limits{})
			slices.Sort(got.findings)
			slices.Sort(tc.want)
			if !slices.Equal(got.findings, tc.want) || len(got.problems) > 0 {
				t.Errorf("findings %q, problems %q; want %q", got.findings, got.problems, tc.want)
			}
		})
	}
}

// TestScanOCILayout: in an OCI image layout directory the blobs are files,
// opened by their magic bytes (the config by its JSON): a layer's token is
// at blobs/sha256/<digest>!<file>, the config's at
// blobs/sha256/<digest>!image-config.<field>.
func TestScanOCILayout(t *testing.T) {
	t.Parallel()
	im := newTestImage(t)
	dir := t.TempDir()
	im.ociLayout(t, dir)
	var got []string
	opts := WalkOptions{Archives: &archive.Limits{}, OnError: func(p string, err error) { t.Errorf("%s: %v", p, err) }}
	err := New(patterns.Default()).ScanPaths(context.Background(), []string{dir}, opts, func(f Finding) error {
		got = append(got, strings.TrimPrefix(f.Path, dir+"/")+":"+strconv.Itoa(f.Line))
		return nil
	})
	want := []string{"blobs/sha256/" + im.layers[0].hex + "!app/settings.py:2", "blobs/sha256/" + im.layers[1].hex + "!etc/app.env:1"}
	for _, f := range configFindings("blobs/sha256/" + im.config.hex) {
		want = append(want, f[:strings.LastIndexByte(f[:strings.LastIndexByte(f, ':')], ':')+2])
	}
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ScanPaths = %v, findings %q; want %q", err, got, want)
	}
}

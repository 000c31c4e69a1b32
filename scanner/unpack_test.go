package scanner

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/archive"
)

// member is a file of a test archive.
type member struct {
	name string
	data []byte
	typ  byte // tar: the entry type (default regular)
}

func zipOf(t testing.TB, method uint16, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, m := range ms {
		f, err := w.CreateHeader(&zip.FileHeader{Name: m.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(m.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(t testing.TB, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}
		if m.typ != 0 {
			h.Typeflag, h.Size, h.Linkname = m.typ, 0, "/etc/passwd"
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		w.Write(m.data[:h.Size])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdOf(t testing.TB, data []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// rawZip is a zip whose entries are written as given (CreateRaw): data is
// already compressed with method; the sizes go in the local header.
func rawZip(t testing.TB, entries ...zip.FileHeader) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := range entries {
		h := entries[i]
		data := []byte(h.Comment)
		h.Comment = ""
		f, err := w.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// storedRaw is a stored entry with its sizes in the local header.
func storedRaw(name string, data []byte, flags uint16) zip.FileHeader {
	return zip.FileHeader{Name: name, Method: zip.Store, Flags: flags, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data)), Comment: string(data)}
}

// unpackResult is what a scan of one tree reported.
type unpackResult struct {
	findings []string // path:line:column
	problems []string // path: message
}

func scanTree(t *testing.T, files map[string][]byte, lim *archive.Limits) unpackResult {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var res unpackResult
	opts := WalkOptions{Archives: lim, Workers: 2, OnError: func(p string, err error) {
		if !strings.HasPrefix(err.Error(), p) {
			t.Errorf("error %q does not start with its path %q", err, p)
		}
		res.problems = append(res.problems, strings.TrimPrefix(err.Error(), dir+"/"))
	}}
	err := New(patterns.Default()).ScanPaths(context.Background(), []string{dir}, opts, func(f Finding) error {
		res.findings = append(res.findings, fmt.Sprintf("%s:%d:%d", strings.TrimPrefix(f.Path, dir+"/"), f.Line, f.Column))
		return nil
	})
	if (len(res.problems) > 0) != errors.Is(err, ErrIncomplete) {
		t.Errorf("ScanPaths = %v with problems %q", err, res.problems)
	}
	return res
}

func TestScanArchives(t *testing.T) {
	t.Parallel()
	tok := token(t, "github-pat", "LeakguardArchiveFixture0000001")
	text := []byte("# config\n  key=" + tok + "\n") // line 2, column 7
	jar := zipOf(t, zip.Deflate, member{name: "BOOT-INF/classes/application.properties", data: text})
	nest := func(inner []byte, names ...string) []byte {
		for _, n := range names {
			inner = zipOf(t, zip.Deflate, member{name: n, data: inner})
		}
		return inner
	}
	tests := []struct {
		name     string
		files    map[string][]byte
		lim      *archive.Limits
		findings []string
		problems []string // prefixes
	}{
		{name: "zip", files: map[string][]byte{"app.zip": zipOf(t, zip.Deflate, member{name: "a.txt", data: []byte("x")}, member{name: "conf/app.env", data: text})},
			findings: []string{"app.zip!conf/app.env:2:7"}},
		{name: "stored zip with data descriptors", files: map[string][]byte{"app.zip": zipOf(t, zip.Store, member{name: "PK\x07\x08.txt", data: []byte("PK\x07\x08 not a descriptor\n")}, member{name: "b.txt", data: text})},
			findings: []string{"app.zip!b.txt:2:7"}},
		{name: "jar inside a zip", files: map[string][]byte{"dist.zip": zipOf(t, zip.Store, member{name: "lib/app.jar", data: jar})},
			findings: []string{"dist.zip!lib/app.jar!BOOT-INF/classes/application.properties:2:7"}},
		{name: "npm tgz", files: map[string][]byte{"left-pad-1.0.0.tgz": gzOf(t, tarOf(t, member{name: "package/package.json", data: []byte("{}")}, member{name: "package/lib/config.js", data: text}))},
			findings: []string{"left-pad-1.0.0.tgz!package/lib/config.js:2:7"}},
		{name: "gz", files: map[string][]byte{"app.log.gz": gzOf(t, text)}, findings: []string{"app.log.gz!app.log:2:7"}},
		{name: "tar, symlink skipped", files: map[string][]byte{"b.tar": tarOf(t, member{name: "link", typ: tar.TypeSymlink}, member{name: "etc/app.env", data: text})},
			findings: []string{"b.tar!etc/app.env:2:7"}},
		{name: "tar.zst", files: map[string][]byte{"b.tar.zst": zstdOf(t, tarOf(t, member{name: "a.env", data: text}))}, findings: []string{"b.tar.zst!a.env:2:7"}},
		{name: "by magic, not name", files: map[string][]byte{"blob.bin": zipOf(t, zip.Deflate, member{name: "a.env", data: text})}, findings: []string{"blob.bin!a.env:2:7"}},
		{name: "names are only names", files: map[string][]byte{"evil.zip": zipOf(t, zip.Deflate, member{name: "../../../tmp/evil.env", data: text}, member{name: "/abs.env", data: text})},
			findings: []string{"evil.zip!../../../tmp/evil.env:2:7", "evil.zip!/abs.env:2:7"}},
		{name: "depth 4 opened", files: map[string][]byte{"d.zip": nest(text, "t.env", "e.zip", "c.zip", "b.zip")}, findings: []string{"d.zip!b.zip!c.zip!e.zip!t.env:2:7"}},
		{name: "depth 5 not opened", files: map[string][]byte{"d.zip": nest(text, "t.env", "f.zip", "e.zip", "c.zip", "b.zip")},
			problems: []string{"d.zip!b.zip!c.zip!e.zip!f.zip: zip archive nested more than 4 deep: not opened"}},
		{name: "depth limit 3", lim: &archive.Limits{MaxDepth: 3}, files: map[string][]byte{"d.zip": nest(text, "t.env", "e.zip", "c.zip", "b.zip")},
			problems: []string{"d.zip!b.zip!c.zip!e.zip: zip archive nested more than 3 deep: not opened"}},
		{name: "encrypted entry skipped", files: map[string][]byte{"e.zip": rawZip(t, storedRaw("secret.env", text, 1), storedRaw("plain.env", text, 0))},
			findings: []string{"e.zip!plain.env:2:7"}, problems: []string{"e.zip!secret.env: encrypted entry: not scanned"}},
		{name: "corrupt zip", files: map[string][]byte{"c.zip": append(rawZip(t, storedRaw("ok.env", text, 0))[:60], "garbage"...)},
			problems: []string{"c.zip"}},
		{name: "truncated gz", files: map[string][]byte{"t.gz": gzOf(t, bytes.Repeat(text, 100))[:50]}, problems: []string{"t.gz: unexpected EOF"}},
		{name: "entry count", lim: &archive.Limits{MaxEntries: 2}, files: map[string][]byte{"n.zip": zipOf(t, zip.Deflate, member{name: "1", data: text}, member{name: "2"}, member{name: "3", data: text})},
			findings: []string{"n.zip!1:2:7"}, problems: []string{"n.zip: unpacking budget exceeded: more than 2 entries"}},
		{name: "bytes budget", lim: &archive.Limits{MaxBytes: 1 << 20}, files: map[string][]byte{"big.gz": gzOf(t, append(text, bytes.Repeat([]byte("0123456789abcdef"), 1<<17)...))},
			problems: []string{"big.gz: unpacking budget exceeded: more than 1.0 MiB unpacked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lim := tt.lim
			if lim == nil {
				lim = &archive.Limits{}
			}
			got := scanTree(t, tt.files, lim)
			slices.Sort(got.findings)
			slices.Sort(tt.findings)
			if !slices.Equal(got.findings, tt.findings) {
				t.Errorf("findings %q, want %q", got.findings, tt.findings)
			}
			if len(got.problems) < len(tt.problems) || len(tt.problems) == 0 && len(got.problems) > 0 {
				t.Fatalf("problems %q, want %q", got.problems, tt.problems)
			}
			for i, want := range tt.problems {
				if !strings.HasPrefix(got.problems[i], want) {
					t.Errorf("problem %q, want %q...", got.problems[i], want)
				}
			}
		})
	}
}

// TestScanArchivesOff: without WalkOptions.Archives an archive is bytes.
func TestScanArchivesOff(t *testing.T) {
	t.Parallel()
	tok := token(t, "github-pat", "LeakguardArchiveFixture0000001")
	got := scanTree(t, map[string][]byte{"s.zip": rawZip(t, storedRaw("a.env", []byte(tok+"\n"), 0))}, nil)
	if len(got.findings) != 1 || !strings.HasPrefix(got.findings[0], "s.zip:1:") || len(got.problems) > 0 {
		t.Errorf("got %+v, want one finding in s.zip itself", got)
	}
}

// bomb is a 42.zip-like nested zip: a zip of one entry of 8 MiB of zeros,
// wrapped depth times in a zip of 16 copies of it (compressed once,
// copied raw): 16^depth × 8 MiB unpacked from a few KB.
func bomb(t testing.TB, depth int) []byte {
	t.Helper()
	data := zipOf(t, zip.Deflate, member{name: "zeros", data: make([]byte, 8<<20)})
	for range depth {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw.Write(data)
		fw.Close()
		var hs []zip.FileHeader
		for i := range 16 {
			hs = append(hs, zip.FileHeader{Name: fmt.Sprintf("%d.zip", i), Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
				CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(len(data)), Comment: comp.String()})
		}
		data = rawZip(t, hs...)
	}
	return data
}

// TestScanZipBomb: a nested bomb stops at the ratio budget after a few
// MiB, whatever it would unpack to. Its duration is logged, not asserted
// (no timed unit tests); memory is bounded by construction (streams, one
// scan window per level), and the allocations are checked loosely.
func TestScanZipBomb(t *testing.T) {
	b := bomb(t, 2) // 42.zip!i.zip!j.zip!zeros: 16^2 × 8 MiB = 2 GiB
	t.Logf("bomb: %d bytes", len(b))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	got := scanTree(t, map[string][]byte{"42.zip": b}, &archive.Limits{})
	t.Logf("scanned in %v", time.Since(start))
	runtime.ReadMemStats(&after)
	if len(got.problems) != 1 || !strings.Contains(got.problems[0], "unpacking budget exceeded") || !strings.Contains(got.problems[0], "100:1") {
		t.Errorf("problems %q, want the ratio budget", got.problems)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}

// TestScanBlob: a blob that is an archive is opened (a jar in a zip), its
// matches carry the "!" path below the blob, and a corrupt archive's
// problem comes back after the matches; a plain blob is scanned as bytes,
// and without limits nothing is opened.
func TestScanBlob(t *testing.T) {
	t.Parallel()
	tok := token(t, "github-pat", body30)
	s := New(patterns.Default())
	inner := zipOf(t, zip.Deflate, member{name: "application.properties", data: []byte("a=1\nt=" + tok + "\n")})
	site := zipOf(t, zip.Deflate, member{name: "lib/app.jar", data: inner}, member{name: "README", data: []byte(tok)})
	lim := &archive.Limits{}
	tests := []struct {
		name    string
		data    []byte
		lim     *archive.Limits
		want    []string
		problem bool
	}{
		{"jar-in-zip", site, lim, []string{"!README:1", "!lib/app.jar!application.properties:2"}, false},
		{"plain", []byte("x " + tok), lim, []string{":1"}, false},
		{"not-opened", site, nil, nil, false},
		{"corrupt", append(site[:60:60], site[len(site)-30:]...), lim, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := s.ScanBlob(tc.data, "dist/site.zip", tc.lim, func(m Match) error {
				got = append(got, fmt.Sprintf("%s:%d", m.Entry, m.Line))
				return nil
			})
			slices.Sort(got)
			var ae *archive.Error
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || errors.As(err, &ae) != tc.problem || (err != nil) != tc.problem {
				t.Errorf("got %v, err %v; want %v, problem %v", got, err, tc.want, tc.problem)
			}
		})
	}
}

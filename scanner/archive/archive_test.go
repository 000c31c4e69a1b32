package archive

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// walkAll walks data as what Detect says and reads every entry to its
// end, opening nested archives as the scanner does; it returns the bytes
// read from the entries.
func walkAll(b *Budget, r io.Reader, k Kind, path string, depth int) int64 {
	var n int64
	b.Walk(r, k, path, func(p string, content io.Reader) {
		head := make([]byte, HeadLen)
		m, _ := io.ReadFull(content, head)
		n += int64(m)
		if k := Detect(head[:m]); k != None && depth+1 < b.Limits().MaxDepth {
			n += walkAll(b, io.MultiReader(bytes.NewReader(head[:m]), content), k, p, depth+1)
			return
		}
		c, _ := io.Copy(io.Discard, content)
		n += c
	})
	return n
}

// FuzzWalk: any bytes walk without a panic, and what comes out of the
// entries stays within the budget (plus one read's worth).
func FuzzWalk(f *testing.F) {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("a/b.txt")
	w.Write([]byte("hello"))
	zw.Close()
	var gb bytes.Buffer
	gw := gzip.NewWriter(&gb)
	gw.Write(zb.Bytes())
	gw.Close()
	f.Add(zb.Bytes())
	f.Add(gb.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46\x02\x00\x21\x01\x16\x00\x00\x00\x74\x2f\xe5\xa3"))
	f.Add([]byte(`{"config":{"Env":["A=1"]},"history":[{"created_by":"x"}],"rootfs":{"diff_ids":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k := Detect(data)
		if k == None {
			return
		}
		lim := Limits{MaxBytes: 1 << 20, MaxRatio: 50, RatioFrom: 64 << 10, MaxEntries: 50, MaxDepth: 3}
		in := int64(len(data))
		b := NewBudget(lim, "f", func() int64 { return in })
		if n := walkAll(b, bytes.NewReader(data), k, "f", 0); n > lim.MaxBytes+64<<10 {
			t.Fatalf("read %d bytes from entries, budget %d", n, lim.MaxBytes)
		}
		if len(b.Problems()) > maxProblems+1 {
			t.Fatalf("%d problems kept", len(b.Problems()))
		}
	})
}

// TestNothingTouchesTheFilesystem: the package reads what it is given and
// writes nothing: it imports no package that opens files.
func TestNothingTouchesTheFilesystem(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			switch p, _ := strconv.Unquote(imp.Path.Value); p {
			case "os", "path/filepath", "io/ioutil", "syscall", "os/exec":
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want Kind
	}{
		{"zip", "PK\x03\x04rest", Zip},
		{"empty zip", "PK\x05\x06", None},
		{"gzip", "\x1f\x8b\x08\x00", Gzip},
		{"zstd", "\x28\xb5\x2f\xfd\x00", Zstd},
		{"bzip2", "BZh91AY&SY", Bzip2},
		{"text starting BZh9", "BZh9 is not bzip2", None},
		{"xz", "\xfd7zXZ\x00\x00\x04", Xz},
		{"xz magic cut short", "\xfd7zXZ", None},
		{"image config", `{"architecture":"amd64","config":{"Env":["A=b"]},"rootfs":{"type":"layers","diff_ids":[]}}`, ImageConfig},
		{"image manifest", `{"schemaVersion":2,"config":{"digest":"sha256:00"},"layers":[]}`, None},
		{"json naming rootfs and diff_ids, not a config", `{"doc":"\"rootfs\" has \"diff_ids\""}`, None},
		{"image config cut short", `{"rootfs":{"type":"layers","diff_ids":[`, None},
		{"text", "package main\n", None},
		{"short", "PK", None},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStreamName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a/app.log.gz": "app.log", "x.tgz": "x.tar", "d.zip!b/c.TAR.BZ2": "c.TAR", "noext": "noext", ".gz": ".gz",
		"b.tar.xz": "b.tar", "b.txz": "b.tar"} {
		if got := streamName(in); got != want {
			t.Errorf("streamName(%q) = %q, want %q", in, got, want)
		}
	}
}

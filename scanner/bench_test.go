package scanner

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/ahocorasick"
	"github.com/leakguard/leakguard/patterns"
)

// benchCorpusSize is how much Go source the benchmarks scan.
const benchCorpusSize = 64 << 20

// sourceCorpus concatenates the Go distribution's .go files (in walk order)
// up to size bytes and plants, every ~32 KiB at a line start, one valid
// token and one same-shape look-alike of a format of c. It returns the data
// and the number of valid tokens planted.
func sourceCorpus(b *testing.B, c *patterns.Catalog, size int) ([]byte, int) {
	b.Helper()
	var buf bytes.Buffer
	buf.Grow(size + size/1024)
	root := filepath.Join(goroot(b), "src")
	rnd := rand.New(rand.NewPCG(1, 2))
	planted, next := 0, 32<<10
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || buf.Len() >= size {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for len(data) > 0 && buf.Len() < size {
			line, rest, _ := bytes.Cut(data, []byte{'\n'})
			buf.Write(line)
			buf.WriteByte('\n')
			data = rest
			if buf.Len() >= next {
				next += 32 << 10
				planted += plant(&buf, c, rnd)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("corpus: %v", err)
	}
	if buf.Len() < size/2 {
		b.Skipf("only %d bytes of Go source under %s", buf.Len(), root)
	}
	return buf.Bytes(), planted
}

// benchPlantIDs are the formats the corpus plants tokens of: a fixed list,
// so that catalogs (and trees) compared side by side scan the same bytes.
func benchPlantIDs() []string {
	return []string{"leakguard-user", "leakguard-service", "leakguard-admin", "github-pat", "github-oauth",
		"github-user-to-server", "github-server-to-server", "github-refresh", "npm-access-token",
		"reviewboard-api-token", "grafana-service-account-token"}
}

// plant writes one valid token and one look-alike of a random format of
// benchPlantIDs as a Go assignment; it returns 1 when a valid token was
// written.
func plant(buf *bytes.Buffer, c *patterns.Catalog, rnd *rand.Rand) int {
	ids := benchPlantIDs()
	f, ok := c.ByID(ids[rnd.IntN(len(ids))])
	if !ok {
		return 0
	}
	tok, err := f.Generate(rnd2reader{rnd})
	if err != nil {
		return 0
	}
	buf.WriteString("\tapiKey := \"" + tok.Reveal() + "\"\n")
	buf.WriteString("\tfakeKey := \"" + lookAlike(tok.Reveal()) + "\"\n")
	return 1
}

// cpuMeter reports MB per CPU-second of the benchmark's own thread as
// "cpu-MB/s": unlike MB/s it does not drop when other processes compete for
// the cores. Wrap the timed loop: m := startCPU(b); for b.Loop() {...}; m.report(b, bytes).
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU(b *testing.B) cpuMeter {
	b.Helper()
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	t, ok := threadCPU()
	return cpuMeter{t, ok}
}

func (m cpuMeter) report(b *testing.B, size int) {
	b.Helper()
	t, ok := threadCPU()
	if !m.ok || !ok || t <= m.start {
		return
	}
	b.ReportMetric(float64(size)*float64(b.N)/(t-m.start).Seconds()/1e6, "cpu-MB/s")
}

type rnd2reader struct{ r *rand.Rand }

func (r rnd2reader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

// benchCatalogs are the catalogs the throughput benchmarks load: the
// default catalog (27 prefixes) and the default without
// patterns.OptionalFormats (16 prefixes; none of the optional ones has a
// byte rare in source text).
func benchCatalogs(b *testing.B) []struct {
	name string
	c    *patterns.Catalog
} {
	b.Helper()
	optional := map[string]bool{}
	for _, f := range patterns.OptionalFormats() {
		optional[f.ID] = true
	}
	var fs []patterns.Format
	for _, f := range append(patterns.OwnFormats(nil), patterns.Vendors()...) {
		if !optional[f.ID] {
			fs = append(fs, f)
		}
	}
	small, err := patterns.NewCatalog(fs...)
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		c    *patterns.Catalog
	}{{"default", patterns.Default()}, {"without-optional", small}}
}

// BenchmarkScan measures single-goroutine throughput over Go source with
// planted tokens, per catalog, next to the memory-speed floor (one
// bytes.IndexByte pass) and a plain Aho-Corasick pass.
func BenchmarkScan(b *testing.B) {
	for _, cc := range benchCatalogs(b) {
		b.Run(cc.name, func(b *testing.B) { benchScan(b, cc.c) })
	}
}

func benchScan(b *testing.B, c *patterns.Catalog) {
	data, planted := sourceCorpus(b, c, benchCorpusSize)
	s := New(c)
	b.Logf("%d prefixes, anchors %s", len(s.prefixes), s.describeAnchors())
	count := func(b *testing.B, n int) {
		if n != planted {
			b.Fatalf("found %d tokens, planted %d", n, planted)
		}
	}
	b.Run("ScanBytes", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		m := startCPU(b)
		for b.Loop() {
			n := 0
			_ = s.ScanBytes(data, func(Match) error { n++; return nil })
			count(b, n)
		}
		m.report(b, len(data))
	})
	b.Run("ScanBytes-no-decode", func(b *testing.B) {
		sn := NewWithOptions(c, Options{NoDecode: true}) // today's plain scan
		b.SetBytes(int64(len(data)))
		m := startCPU(b)
		for b.Loop() {
			n := 0
			_ = sn.ScanBytes(data, func(Match) error { n++; return nil })
			count(b, n)
		}
		m.report(b, len(data))
	})
	b.Run("ScanBytes-byte-anchors", func(b *testing.B) {
		sb := New(c) // the path used without AVX2
		sb.mode = modeAnchor
		b.SetBytes(int64(len(data)))
		m := startCPU(b)
		for b.Loop() {
			n := 0
			_ = sb.ScanBytes(data, func(Match) error { n++; return nil })
			count(b, n)
		}
		m.report(b, len(data))
	})
	b.Run("Scan-stream", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		m := startCPU(b)
		for b.Loop() {
			n := 0
			_ = s.Scan(bytes.NewReader(data), func(Match) error { n++; return nil })
			count(b, n)
		}
		m.report(b, len(data))
	})
	b.Run("IndexByte-floor", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		m := startCPU(b)
		for b.Loop() {
			if bytes.IndexByte(data, 0xff) >= 0 {
				b.Fatal("0xff in Go source")
			}
		}
		m.report(b, len(data))
	})
	b.Run("AhoCorasick-only", func(b *testing.B) {
		m := ahocorasick.NewMatcher(s.dict)
		b.SetBytes(int64(len(data)))
		cm := startCPU(b)
		for b.Loop() {
			for off := 0; off < len(data); off += DefaultChunkSize {
				m.Match(data[off:min(off+DefaultChunkSize, len(data))])
			}
		}
		cm.report(b, len(data))
	})
}

// BenchmarkScanDense measures the worst case the anchor prefilter meets:
// anchors everywhere, so regions fall back to the whole-region automaton.
func BenchmarkScanDense(b *testing.B) {
	s := New(patterns.Default())
	for _, tc := range []struct{ name, unit string }{
		{"underscores", "_"},
		{"prefixes", "ghp_gho_lgu_"},
	} {
		data := bytes.Repeat([]byte(tc.unit), (16<<20)/len(tc.unit))
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			m := startCPU(b)
			for b.Loop() {
				_ = s.Scan(bytes.NewReader(data), func(Match) error { return nil })
			}
			m.report(b, len(data))
		})
	}
}

// BenchmarkScanReader scans 16 MiB of source through Scan as the CLI
// does, to compare with whole-process figures.
func BenchmarkScanReader(b *testing.B) {
	c := patterns.Default()
	data, _ := sourceCorpus(b, c, 16<<20)
	s := New(c)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		_ = s.Scan(struct{ io.Reader }{bytes.NewReader(data)}, func(Match) error { return nil })
	}
	m.report(b, len(data))
}

// goroot asks the go command for GOROOT (runtime.GOROOT is deprecated).
func goroot(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skipf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// base64RichCorpus is size bytes of the Go distribution's base64- and
// hex-rich files (npm lockfile with sha512 integrity strings, minified
// JavaScript, PEM certificates and keys, go.sum), repeated, with one valid
// token every ~32 KiB written plain and one base64-encoded in a JSON
// string. It returns the data and the number of tokens planted.
func base64RichCorpus(b *testing.B, c *patterns.Catalog, size int) ([]byte, int) {
	b.Helper()
	var files [][]byte
	root := filepath.Join(goroot(b), "src")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		name := filepath.Base(p)
		if err != nil || d.IsDir() || !(name == "package-lock.json" || name == "go.sum" ||
			strings.HasSuffix(name, ".min.js") || strings.HasSuffix(name, ".pem")) {
			return err
		}
		data, err := os.ReadFile(p)
		files = append(files, data)
		return err
	})
	if err != nil || len(files) == 0 {
		b.Skipf("no base64-rich files under %s: %v", root, err)
	}
	var buf bytes.Buffer
	rnd := rand.New(rand.NewPCG(3, 4))
	planted, next := 0, 32<<10
	for i := 0; buf.Len() < size; i++ {
		for data := files[i%len(files)]; len(data) > 0 && buf.Len() < size; {
			line, rest, _ := bytes.Cut(data, []byte{'\n'})
			buf.Write(line)
			buf.WriteByte('\n')
			data = rest
			if buf.Len() >= next {
				next += 32 << 10
				fs := c.Formats()
				tok, err := fs[rnd.IntN(len(fs))].Generate(rnd2reader{rnd})
				if err != nil {
					continue
				}
				buf.WriteString("apiKey = \"" + tok.Reveal() + "\"\n")
				buf.WriteString(`"auth": "` + base64.StdEncoding.EncodeToString([]byte("ci:"+tok.Reveal())) + "\"\n")
				planted += 2
			}
		}
	}
	return buf.Bytes(), planted
}

// BenchmarkScanBase64Rich compares the scan with and without the encoding
// layer on base64-rich text, where encoded runs are everywhere.
func BenchmarkScanBase64Rich(b *testing.B) {
	c := patterns.Default()
	data, planted := base64RichCorpus(b, c, 16<<20)
	for _, v := range []struct {
		name   string
		o      Options
		expect int
	}{{"decode", Options{}, planted}, {"no-decode", Options{NoDecode: true}, planted / 2}} {
		s := NewWithOptions(c, v.o)
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			m := startCPU(b)
			for b.Loop() {
				n := 0
				_ = s.ScanBytes(data, func(Match) error { n++; return nil })
				if n != v.expect {
					b.Fatalf("found %d tokens, want %d", n, v.expect)
				}
			}
			m.report(b, len(data))
		})
	}
}

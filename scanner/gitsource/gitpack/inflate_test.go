package gitpack

import (
	"bytes"
	"cmp"
	"compress/flate"
	"slices"

	kflate "github.com/klauspost/compress/flate"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// deflated compresses data at level with compress/flate.
func deflated(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// inflateInputs are data of every shape a pack holds: text, repeats,
// random bytes, empty.
func inflateInputs(t testing.TB) map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	words := []string{"func", " ", "\n", "return", "lgu_", "{", "}", "package", "\t", "version", "\"1.2.3\""}
	var text bytes.Buffer
	for text.Len() < 300_000 {
		text.WriteString(words[r.IntN(len(words))])
	}
	src, _ := filepath.Glob("*.go")
	var code bytes.Buffer
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(b)
	}
	return map[string][]byte{
		"empty":  {},
		"one":    {'x'},
		"zeros":  make([]byte, 70_000),
		"ab":     bytes.Repeat([]byte("ab"), 40_000),
		"random": random,
		"text":   text.Bytes(),
		"code":   code.Bytes(),
		"mixed":  append(append([]byte{}, code.Bytes()...), random[:5000]...),
	}
}

// TestInflate: every level (stored, fixed and dynamic codes) of every
// input inflates to the input; a wrong size is an error.
func TestInflate(t *testing.T) {
	var f inflater
	for name, data := range inflateInputs(t) {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, 5, flate.BestCompression, flate.HuffmanOnly} {
			z := deflated(t, data, level)
			out := make([]byte, len(data))
			end, err := f.inflate(out, z)
			if err != nil {
				t.Fatalf("%s level %d: %v", name, level, err)
			}
			if !bytes.Equal(out, data) {
				t.Fatalf("%s level %d: inflated differs", name, level)
			}
			if end != len(z) {
				t.Fatalf("%s level %d: stream ends at %d of %d", name, level, end, len(z))
			}
			if _, err := f.inflate(make([]byte, len(data)+1), z); err != errTooShort {
				t.Fatalf("%s level %d: one byte more: %v", name, level, err)
			}
			if len(data) > 0 {
				if _, err := f.inflate(make([]byte, len(data)-1), z); err != errTooLong {
					t.Fatalf("%s level %d: one byte less: %v", name, level, err)
				}
			}
			if len(z) > 1 {
				if _, err := f.inflate(out, z[:len(z)-1]); err == nil {
					t.Fatalf("%s level %d: truncated stream accepted", name, level)
				}
			}
		}
	}
}

// FuzzInflate holds the decoder to compress/flate: the same streams are
// accepted, to the same bytes.
func FuzzInflate(f *testing.F) {
	for _, data := range inflateInputs(f) {
		if len(data) > 2_000 {
			data = data[:2_000]
		}
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.BestCompression, flate.HuffmanOnly} {
			f.Add(deflated(f, data, level))
		}
	}
	var inf inflater
	f.Fuzz(func(t *testing.T, z []byte) {
		r := flate.NewReader(bytes.NewReader(z))
		want, werr := io.ReadAll(io.LimitReader(r, 1<<20))
		if werr == nil {
			// The reference's end of stream: what it did not read.
			out := make([]byte, len(want))
			if _, err := inf.inflate(out, z); err != nil {
				t.Fatalf("reference inflates %d bytes, this decoder: %v", len(want), err)
			}
			if !bytes.Equal(out, want) {
				t.Fatal("inflated differs from the reference")
			}
			return
		}
		for _, n := range []int{0, 1, len(want), 1 << 16} {
			if _, err := inf.inflate(make([]byte, n), z); err == nil {
				t.Fatalf("the reference fails (%v) but this decoder inflates %d bytes", werr, n)
			}
		}
	})
}

// BenchmarkInflatePack inflates every blob and delta of the pack named
// by LEAKGUARD_BENCH_PACK with this decoder and with the streaming ones,
// for benchmarks/README.md; skipped without it.
func BenchmarkInflatePack(b *testing.B) {
	path := os.Getenv("LEAKGUARD_BENCH_PACK")
	if path == "" {
		b.Skip("LEAKGUARD_BENCH_PACK not set")
	}
	p, err := Open(path, 20)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var objs []Object
	var total int64
	for m := range p.Len() {
		off, ok := p.offset(m)
		if !ok {
			b.Fatal("bad offset")
		}
		o, err := p.Object(off)
		if err != nil {
			b.Fatal(err)
		}
		if o.Size < 8<<20 && o.Type != Commit && o.Type != Tree && o.Type != Tag {
			objs = append(objs, o)
			total += o.Size
		}
	}
	// In pack order, as the walk mostly reads them.
	slices.SortFunc(objs, func(a, b Object) int { return cmp.Compare(a.Offset, b.Offset) })
	b.Logf("%d objects, %d bytes inflated", len(objs), total)
	dst := make([]byte, 8<<20)
	// The streaming decoders are reset, not made anew, for each object.
	kz, sz := kflate.NewReader(nil), flate.NewReader(nil)
	decoders := map[string]func(o Object) error{
		"this": func(o Object) error { _, err := p.Inflate(o, dst, 8<<20); return err },
		"klauspost": func(o Object) error {
			src, _ := zlibBody(p.pack[o.data:])
			kz.(kflate.Resetter).Reset(bytes.NewReader(src), nil)
			_, err := io.ReadFull(kz, dst[:o.Size])
			return err
		},
		"stdlib": func(o Object) error {
			src, _ := zlibBody(p.pack[o.data:])
			sz.(flate.Resetter).Reset(bytes.NewReader(src), nil)
			_, err := io.ReadFull(sz, dst[:o.Size])
			return err
		},
	}
	for _, name := range []string{"this", "klauspost", "stdlib"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				for _, o := range objs {
					if err := decoders[name](o); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkInflate compares this decoder with klauspost/compress/flate's
// (the one the walk used before) on the inputs of TestInflate, level 6.
func BenchmarkInflate(b *testing.B) {
	inputs := inflateInputs(b)
	for _, name := range []string{"code", "text", "random"} {
		data := inputs[name]
		z := deflated(b, data, 6)
		out := make([]byte, len(data))
		var f inflater
		b.Run(name+"/this", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := f.inflate(out, z); err != nil {
					b.Fatal(err)
				}
			}
		})
		kz := kflate.NewReader(nil)
		b.Run(name+"/klauspost", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				kz.(kflate.Resetter).Reset(bytes.NewReader(z), nil)
				if _, err := io.ReadFull(kz, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

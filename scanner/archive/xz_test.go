package archive

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// xzOf compresses data with github.com/ulikunitz/xz's writer (an
// implementation independent of the reader under test).
func xzOf(t testing.TB, data []byte, cfg xz.WriterConfig) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := cfg.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func unxz(data []byte) ([]byte, error) {
	r, err := newXZReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// TestXZRoundTrip: what the writer compresses, with each check and with
// several blocks and streams, decompresses to the same bytes.
func TestXZRoundTrip(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rnd.IntN(256))
	}
	text := []byte(strings.Repeat("token = \"value\"\n", 20000))
	tests := []struct {
		name string
		data []byte
		cfg  xz.WriterConfig
	}{
		{"empty", nil, xz.WriterConfig{}},
		{"text, crc64", text, xz.WriterConfig{}},
		{"text, crc32", text, xz.WriterConfig{CheckSum: xz.CRC32}},
		{"text, sha256", text, xz.WriterConfig{CheckSum: xz.SHA256}},
		{"text, no check", text, xz.WriterConfig{NoCheckSum: true}},
		{"random, small blocks", random, xz.WriterConfig{BlockSize: 64 << 10}},
		{"text, 1 MiB dictionary", text, xz.WriterConfig{DictCap: 1 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := unxz(xzOf(t, tt.data, tt.cfg))
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Fatalf("err %v, %d bytes, want %d", err, len(got), len(tt.data))
			}
		})
	}
	// Two streams with stream padding between them are one file.
	two := append(append(xzOf(t, text[:100], xz.WriterConfig{}), 0, 0, 0, 0), xzOf(t, text[100:300], xz.WriterConfig{})...)
	if got, err := unxz(two); err != nil || !bytes.Equal(got, text[:300]) {
		t.Errorf("two streams: err %v, %d bytes", err, len(got))
	}
}

// xzDictByte is the offset of the LZMA2 dictionary-size byte in the first
// block header of a file the writer made (no size fields: header size,
// flags, filter id, properties size, properties).
const xzDictByte = 12 + 4

// withDict returns data with its first block's dictionary-size code
// replaced by code, and the block header's CRC32 fixed.
func withDict(t testing.TB, data []byte, code byte) []byte {
	t.Helper()
	d := append([]byte(nil), data...)
	h := d[12:]
	n := (int(h[0]) + 1) * 4
	if h[1]&0xc0 != 0 || h[2] != 0x21 || h[3] != 1 {
		t.Fatalf("unexpected block header % x", h[:n])
	}
	d[xzDictByte] = code
	binary.LittleEndian.PutUint32(h[n-4:], crc32.ChecksumIEEE(h[:n-4]))
	return d
}

// TestXZDictionaryLimit: a block that asks for a dictionary over 64 MiB is
// refused before anything is allocated; 64 MiB itself is accepted.
func TestXZDictionaryLimit(t *testing.T) {
	t.Parallel()
	good := xzOf(t, []byte("hello, dictionary\n"), xz.WriterConfig{})
	if _, err := unxz(withDict(t, good, 28)); err != nil { // 64 MiB
		t.Errorf("64 MiB dictionary: %v", err)
	}
	for _, code := range []byte{29, 39, 40} { // 96 MiB, 3 GiB, 4 GiB - 1
		_, err := unxz(withDict(t, good, code))
		if err == nil || !strings.Contains(err.Error(), "dictionary") {
			t.Errorf("code %d: err %v, want the dictionary limit", code, err)
		}
	}
	if _, err := unxz(withDict(t, good, 41)); !errors.Is(err, errXZFormat) {
		t.Errorf("code 41: err %v, want a malformed file", err)
	}
}

// TestXZCorrupt: damage anywhere is an error, never a panic or silent
// success with other bytes.
func TestXZCorrupt(t *testing.T) {
	t.Parallel()
	text := []byte(strings.Repeat("abcdefghij", 500))
	good := xzOf(t, text, xz.WriterConfig{CheckSum: xz.CRC32})
	for i := 0; i < len(good); i++ {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x41
		if got, err := unxz(bad); err == nil && !bytes.Equal(got, text) {
			t.Fatalf("byte %d changed: no error, %d other bytes", i, len(got))
		}
	}
	for _, n := range []int{0, 5, 12, 30, len(good) - 13, len(good) - 1} {
		if _, err := unxz(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
}

// TestWalkXZ: a .tar.xz is the tar inside, a plain .xz one entry, and an
// xz bomb stops at the ratio budget.
func TestWalkXZ(t *testing.T) {
	t.Parallel()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "etc/app.env", Mode: 0o644, Size: 10})
	tw.Write([]byte("KEY=value\n"))
	tw.Close()
	entries := func(data []byte, path string, lim Limits) ([]string, []error) {
		b := NewBudget(lim, path, func() int64 { return int64(len(data)) })
		var names []string
		b.Walk(bytes.NewReader(data), Detect(data), path, func(p string, r io.Reader) {
			io.Copy(io.Discard, r)
			names = append(names, p)
		})
		return names, b.Problems()
	}
	if got, ps := entries(xzOf(t, tb.Bytes(), xz.WriterConfig{}), "b.tar.xz", Limits{}); strings.Join(got, ",") != "b.tar.xz!etc/app.env" || ps != nil {
		t.Errorf("tar.xz: %q, %v", got, ps)
	}
	if got, ps := entries(xzOf(t, []byte("log line\n"), xz.WriterConfig{}), "app.log.xz", Limits{}); strings.Join(got, ",") != "app.log.xz!app.log" || ps != nil {
		t.Errorf("xz: %q, %v", got, ps)
	}
	bomb := xzOf(t, make([]byte, 8<<20), xz.WriterConfig{})
	t.Logf("xz bomb: %d bytes for 8 MiB", len(bomb))
	_, ps := entries(bomb, "zeros.xz", Limits{RatioFrom: 1 << 20, MaxRatio: 100})
	if len(ps) != 1 || !errors.Is(ps[0], ErrBudget) || !strings.Contains(ps[0].Error(), "100:1") {
		t.Errorf("bomb: problems %v, want the ratio budget", ps)
	}
	if _, ps := entries(withDict(t, xzOf(t, []byte("x"), xz.WriterConfig{}), 39), "big.xz", Limits{}); len(ps) != 1 || !strings.Contains(ps[0].Error(), "big.xz: xz: a 3 GiB dictionary, over the 64.0 MiB limit") {
		t.Errorf("huge dictionary: problems %v", ps)
	}
}

// FuzzXZ: any bytes decompress without a panic, and where this reader
// decodes a whole file (so every dictionary is within the limit), the
// independent reader of github.com/ulikunitz/xz gives the same bytes.
func FuzzXZ(f *testing.F) {
	f.Add(xzOf(f, []byte("hello\n"), xz.WriterConfig{}))
	f.Add(xzOf(f, bytes.Repeat([]byte("ab"), 5000), xz.WriterConfig{CheckSum: xz.SHA256, BlockSize: 4096}))
	f.Add(xzOf(f, nil, xz.WriterConfig{NoCheckSum: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		const most = 1 << 20
		r, err := newXZReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		mine, err := io.ReadAll(io.LimitReader(r, most+1))
		if err != nil || len(mine) > most {
			return
		}
		xr, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("this reader decodes %d bytes, the other refuses the file: %v", len(mine), err)
		}
		theirs, err := io.ReadAll(xr)
		if err == nil && !bytes.Equal(mine, theirs) {
			t.Fatalf("%d bytes, the other reader %d", len(mine), len(theirs))
		}
	})
}

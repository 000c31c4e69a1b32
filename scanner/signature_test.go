package scanner

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

// msKey is the generated true positive of a Microsoft format of the
// default catalog (its second sample; the first is Microsoft's own).
func msKey(tb testing.TB, id string) string {
	tb.Helper()
	f, ok := patterns.Default().ByID(id)
	if !ok || !f.HasSignature() {
		tb.Fatalf("no signature format %s", id)
	}
	return f.TruePositives[1]
}

// TestScanSignatureTable: prefix-less keys are found by their signature,
// at their true start, with their padding when it is whole, and only when
// the characters around them are not in their alphabet.
func TestScanSignatureTable(t *testing.T) {
	t.Parallel()
	st := msKey(t, "azure-storage-account-key") // 86 characters and "=="
	sb := msKey(t, "azure-service-bus-key")     // 43 and "="
	acr := msKey(t, "azure-container-registry-key")
	bare := strings.TrimRight(st, "=")
	type loc struct {
		id        string
		col, size int
	}
	tests := []struct {
		name string
		in   string
		want []loc
	}{
		{"alone", st, []loc{{"azure-storage-account-key", 1, 88}}},
		{"connection string", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + st + ";EndpointSuffix=core.windows.net",
			[]loc{{"azure-storage-account-key", 57, 88}}},
		{"quoted", `key: "` + st + `"`, []loc{{"azure-storage-account-key", 7, 88}}},
		{"no padding", "k=" + bare + " ", []loc{{"azure-storage-account-key", 3, 86}}},
		{"half the padding", bare + "=;", []loc{{"azure-storage-account-key", 1, 86}}},
		{"padding then text", st + "x", []loc{{"azure-storage-account-key", 1, 88}}},
		{"alphabet before", "x" + st, nil},
		{"plus before", "+" + st, nil},
		{"url-encoded before", "k%3D" + bare, nil}, // the 'D' is in the alphabet
		{"alphabet after", bare + "Q", nil},
		{"dash after", sb + "-", []loc{{"azure-service-bus-key", 1, 44}}},
		{"two keys", sb + ";" + st, []loc{{"azure-service-bus-key", 1, 44}, {"azure-storage-account-key", 46, 88}}},
		{"glued after padding", sb + st, []loc{{"azure-service-bus-key", 1, 44}, {"azure-storage-account-key", 45, 88}}},
		{"glued without padding", strings.TrimRight(sb, "=") + st, nil},
		{"no padding, 39 bytes", "(" + acr + ")", []loc{{"azure-container-registry-key", 2, 52}}},
		{"one short", bare[1:], nil},
		{"signature alone", "x +ASt y", nil},
		{"next to a prefix token", token(t, "github-pat", body30) + " " + st,
			[]loc{{"github-pat", 1, 40}, {"azure-storage-account-key", 42, 88}}},
	}
	s := New(patterns.Default())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []loc
			for _, g := range scanBytes(t, s, []byte(tc.in)) {
				got = append(got, loc{g.ID, g.Column, len(g.Token)})
				if g.Prefix != "" && strings.HasPrefix(g.ID, "azure-") {
					t.Errorf("%s: prefix %q", g.ID, g.Prefix)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			checkAgainstReference(t, patterns.Default(), []byte(tc.in), variants(false))
		})
	}
}

// TestScanSignatureMatch: a signature match points at the key's first
// character and redacts to the signature and the last 4 characters.
func TestScanSignatureMatch(t *testing.T) {
	t.Parallel()
	st := msKey(t, "azure-storage-account-key")
	var ms []Match
	err := New(patterns.Default()).ScanBytes([]byte("a\n  AccountKey="+st+"\n"), func(m Match) error { ms = append(ms, m); return nil })
	if err != nil || len(ms) != 1 {
		t.Fatalf("err %v, %d matches", err, len(ms))
	}
	m := ms[0]
	if m.Offset != 15 || m.Line != 2 || m.Column != 14 || m.Prefix != "" || m.Secret.Reveal() != st {
		t.Errorf("offset %d line %d column %d prefix %q; want 15, 2, 14, \"\"", m.Offset, m.Line, m.Column, m.Prefix)
	}
	if got, want := m.Redacted(), "\u2026+ASt\u2026"+st[len(st)-4:]; got != want {
		t.Errorf("Redacted = %q, want %q", got, want)
	}
	if f := NewFinding(m, "file", "x"); f.Redacted != m.Redacted() || f.Validation != patterns.ValidationChecksum {
		t.Errorf("finding %+v", f)
	}
}

// TestScanSignatureChunkEdges places prefix-less keys (from the start,
// from the end, padded) at every offset around the first region edges of
// small chunks: each is found once, at its start.
func TestScanSignatureChunkEdges(t *testing.T) {
	t.Parallel()
	c := trickyCatalog(t)
	m := trickyMarvin()
	keys := []string{msKey(t, "azure-service-bus-key"), m.TruePositives[0], "acabd", "1234d9d0"}
	filler := []byte(strings.Repeat("xy\nz. ", 30))
	for _, chunk := range []int{1, 2, 7, 31} {
		for _, key := range keys {
			cat := c
			if strings.Contains(key, "+ASb") {
				cat = patterns.Default()
			}
			for off := 0; off < 2*chunk+len(key)+8 && off < len(filler); off++ {
				data := append(append(append([]byte{}, filler[:off]...), ' '), key...)
				data = append(append(data, ' '), filler[off:]...)
				s := NewWithOptions(cat, Options{ChunkSize: chunk})
				s.allowWin = 5
				g := scanReader(t, s, bytes.NewReader(data))
				if len(g) != 1 || g[0].Offset != int64(off+1) || len(g[0].Token) != len(key) {
					t.Fatalf("chunk %d off %d key of %d: got %v", chunk, off, len(key), g)
				}
				checkAgainstReference(t, cat, data, []variant{{"edge", chunk, modeAuto, 5, func(b []byte) io.Reader { return bytes.NewReader(b) }}})
			}
		}
	}
}

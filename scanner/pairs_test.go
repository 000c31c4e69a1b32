package scanner

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

// TestPairIndexSIMD checks the vectorised pair search against the scalar
// loop at every start offset and length around the 32-byte block edges,
// over bytes that form anchor pairs, pairs the shared buckets accept and
// neither.
func TestPairIndexSIMD(t *testing.T) {
	t.Parallel()
	s := New(patterns.Default())
	if s.pairs == nil || !s.pairs.simd {
		t.Skip("no vectorised pair search on this machine")
	}
	scalar := *s.pairs
	scalar.simd = false
	rnd := rand.New(rand.NewPCG(3, 4))
	alpha := []byte("gh_lmbp-Kab+AzCDIMT3")
	for n := range 200 {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = alpha[rnd.IntN(len(alpha))]
		}
		for lo := 0; lo <= min(n, 40); lo++ {
			if got, want := s.pairs.index(buf[lo:]), scalar.index(buf[lo:]); got != want {
				t.Fatalf("index(%q) = %d, scalar %d", buf[lo:], got, want)
			}
		}
	}
}

// TestChoosePairs checks the anchor pairs of the default catalog: each
// sits where the literal (prefix or signature) says, and they are few (the
// ten BIP-32 prefixes share one, the six "+A…" Microsoft signatures
// another, the three "Az…" ones a third). With more than 8 the nibble
// tables also accept some other pairs, which the search drops
// (TestPairIndexSIMD).
func TestChoosePairs(t *testing.T) {
	t.Parallel()
	c := patterns.Default()
	s := New(c)
	if s.pairs == nil {
		t.Fatal("no pair index")
	}
	for _, pe := range s.prefixes {
		g := s.pairs.groups[pe.pg]
		if pe.lit[pe.pk] != g.a || pe.lit[pe.pk+1] != g.b {
			t.Errorf("%s: pair %q not at %d", pe.lit, []byte{g.a, g.b}, pe.pk)
		}
	}
	if n := len(s.pairs.groups); n > 15 {
		t.Errorf("%d pairs for %d literals (%s), want at most 15", n, len(s.prefixes), s.describeAnchors())
	}
	for a := range 256 {
		for b := range 256 {
			px := s.pairs
			nib := px.nib[0][a&15] & px.nib[1][a>>4] & px.nib[2][b&15] & px.nib[3][b>>4]
			if px.group(byte(a), byte(b)) >= 0 && nib == 0 {
				t.Errorf("nibble tables reject anchor pair %q (%s)", []byte{byte(a), byte(b)}, s.describeAnchors())
			}
		}
	}
}

// TestAssignBuckets: with the default catalog's 9 pairs, buckets are
// shared where that costs nothing ("gh" with "gl", or "b_" with "m_": their
// union accepts only them) rather than by position, so the search stays
// exact, and every pair stays in some bucket.
func TestAssignBuckets(t *testing.T) {
	t.Parallel()
	px := &pairIndex{}
	pairs := []string{"rv", "gh", "gl", "lg", "-K", "b_", "m_", "bp", "c1"}
	for _, pr := range pairs {
		px.groups = append(px.groups, pairGroup{a: pr[0], b: pr[1]})
		k := uint(pr[0])<<8 | uint(pr[1])
		px.bits[k>>6] |= 1 << (k & 63)
	}
	px.assignBuckets()
	buckets := func(a, b byte) byte {
		return px.nib[0][a&15] & px.nib[1][a>>4] & px.nib[2][b&15] & px.nib[3][b>>4]
	}
	for _, pr := range pairs {
		if buckets(pr[0], pr[1]) == 0 {
			t.Errorf("pair %q in no bucket", pr)
		}
	}
	for a := range 256 {
		for b := range 256 {
			if buckets(byte(a), byte(b)) != 0 && px.group(byte(a), byte(b)) < 0 {
				t.Errorf("non-pair %q accepted", []byte{byte(a), byte(b)})
			}
		}
	}
}

// TestChoosePairsLimits: with 9..16 pairs the vectorised search shares
// buckets between pairs and reports false candidates, which the pair path
// must drop; with more than maxPairs the catalog gets no pair index and
// scans on the byte-anchor path. Both still agree with Reference.
func TestChoosePairsLimits(t *testing.T) {
	t.Parallel()
	for _, n := range []int{12, maxPairs + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			var fs []patterns.Format
			var data []byte
			for i := range n {
				p := string([]byte{'A' + byte(i), 'a' + byte(i), '!'})
				fs = append(fs, patterns.Format{ID: "m" + p, Prefixes: []string{p}, Alphabet: "0-9", BodyMin: 2, BodyMax: 4})
				// The crossed pair (first byte of pair i, second of pair
				// i+1) is a false candidate when they share a bucket.
				data = append(data, p+"123 "+p+"1 "+string([]byte{'A' + byte(i), 'a' + byte(i+1), '!'})+"12\n"...)
			}
			c, err := patterns.NewCatalog(fs...)
			if err != nil {
				t.Fatal(err)
			}
			if s := New(c); (s.pairs != nil) != (n <= maxPairs) {
				t.Fatalf("%d pairs: %s", n, s.describeAnchors())
			}
			// Some pairs share a bucket, so crossed pairs such as "Ai" and
			// "Ia" may match the nibble tables without being pairs.
			data = append(data, " Ai!12 Ia!123 Aa!12\n"...)
			checkAgainstReference(t, c, bytes.Repeat(data, 3), variants(false))
		})
	}
}

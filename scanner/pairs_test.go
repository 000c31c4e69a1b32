package scanner

import (
	"math/rand/v2"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

// TestPairIndexSIMD checks the vectorised pair search against the scalar
// loop at every start offset and length around the 32-byte block edges.
func TestPairIndexSIMD(t *testing.T) {
	t.Parallel()
	s := New(patterns.Default())
	if s.pairs == nil || !s.pairs.simd {
		t.Skip("no vectorised pair search on this machine")
	}
	scalar := *s.pairs
	scalar.simd = false
	rnd := rand.New(rand.NewPCG(3, 4))
	alpha := []byte("gh_lmbp-Kab")
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
// sits where the prefix says, and they are few (the ten BIP-32 prefixes
// share one).
func TestChoosePairs(t *testing.T) {
	t.Parallel()
	c := patterns.Default()
	s := New(c)
	if s.pairs == nil {
		t.Fatal("no pair index")
	}
	for _, pe := range s.prefixes {
		g := s.pairs.groups[pe.pg]
		if pe.p[pe.pk] != g.a || pe.p[pe.pk+1] != g.b {
			t.Errorf("%s: pair %q not at %d", pe.p, []byte{g.a, g.b}, pe.pk)
		}
	}
	if n := len(s.pairs.groups); n > 8 {
		t.Errorf("%d pairs for %d prefixes (%s), want at most 8", n, len(s.prefixes), s.describeAnchors())
	}
}

// TestChoosePairsLimits: a catalog the pair path cannot serve (more than
// maxPairs pairs) gets none and scans on the byte-anchor path, still
// agreeing with Reference. (Prefixes shorter than two bytes, the other
// limit, are not valid formats.)
func TestChoosePairsLimits(t *testing.T) {
	t.Parallel()
	many := make([]patterns.Format, 0, maxPairs+1)
	var data []byte
	for i := range maxPairs + 1 {
		p := string([]byte{'A' + byte(i), 'a' + byte(i), '!'})
		many = append(many, patterns.Format{ID: "m" + p, Prefixes: []string{p}, Alphabet: "0-9", BodyMin: 2, BodyMax: 4})
		data = append(data, p+"123 "+p+"1\n"...)
	}
	for _, tc := range []struct {
		name string
		fs   []patterns.Format
	}{
		{"too-many-pairs", many},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := patterns.NewCatalog(tc.fs...)
			if err != nil {
				t.Fatal(err)
			}
			if s := New(c); s.pairs != nil {
				t.Fatalf("pair index for %s", s.describeAnchors())
			}
			checkAgainstReference(t, c, data, variants(false))
		})
	}
}

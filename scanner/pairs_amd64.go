package scanner

import "golang.org/x/sys/cpu"

// haveSIMD reports whether indexPairsSIMD runs vectorised here.
func haveSIMD() bool { return cpu.X86.HasAVX2 }

// indexPairsAVX2 is in pairs_amd64.s.
//
//go:noescape
func indexPairsAVX2(s []byte, t *[4][32]byte, bits *[1 << 10]uint64) int

// indexPairsSIMD searches the first (len(s)-1)/32*32 positions of s for an
// anchor pair: a candidate of the nibble tables that bits holds; see
// indexPairsAVX2.
func indexPairsSIMD(s []byte, t *[4][32]byte, bits *[1 << 10]uint64) int {
	return indexPairsAVX2(s, t, bits)
}

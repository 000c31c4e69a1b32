package scanner

import "golang.org/x/sys/cpu"

// haveSIMD reports whether indexPairsSIMD runs vectorised here.
func haveSIMD() bool { return cpu.X86.HasAVX2 }

// indexPairsAVX2 is in pairs_amd64.s.
//
//go:noescape
func indexPairsAVX2(s []byte, tab *[maxPairs][64]byte, n int) int

// indexPairsSIMD searches the first (len(s)-1)/32*32 positions of s for a
// pair of the table; see indexPairsAVX2.
func indexPairsSIMD(s []byte, tab *[maxPairs][64]byte, n int) int {
	return indexPairsAVX2(s, tab, n)
}

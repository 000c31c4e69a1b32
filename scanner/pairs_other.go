//go:build !amd64

package scanner

// haveSIMD reports whether indexPairsSIMD runs vectorised here: not on
// this architecture, where the byte-anchor path is used instead.
func haveSIMD() bool { return false }

// indexPairsSIMD is never called without haveSIMD.
func indexPairsSIMD([]byte, *[4][32]byte, *[1 << 10]uint64) int { return -1 }

package scanner

// longRunAVX2 is in runs_amd64.s.
//
//go:noescape
func longRunAVX2(s []byte, t *[2][32]byte, minLen int) int

// longRunSIMD returns the offset of the 32-byte block of s in which a run
// of at least minLen class bytes first completes, or -1 if none does in
// the first len(s)/32*32 bytes; see longRunAVX2. It needs haveSIMD.
func longRunSIMD(s []byte, t *[2][32]byte, minLen int) int { return longRunAVX2(s, t, minLen) }

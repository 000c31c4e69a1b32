package scanner

// sampleRunAVX2 is in runs_amd64.s.
//
//go:noescape
func sampleRunAVX2(s []byte, t *[2][32]byte) int

// sampleRunSIMD returns the offset 32k of the first 16-byte block
// s[32k:32k+16] that is all class bytes with 16 more on one side, among
// those with 32k+48 <= len(s), or -1; see sampleRunAVX2. It needs
// haveSIMD.
func sampleRunSIMD(s []byte, t *[2][32]byte) int { return sampleRunAVX2(s, t) }

// classSpanAVX2 is in runs_amd64.s.
//
//go:noescape
func classSpanAVX2(s []byte, t *[2][32]byte) int

// classSpanSIMD returns the index of the first byte outside the class in
// s[:len(s)/32*32], or -1; see classSpanAVX2. It needs haveSIMD.
func classSpanSIMD(s []byte, t *[2][32]byte) int { return classSpanAVX2(s, t) }

//go:build !amd64

package scanner

// sampleRunSIMD is never called without haveSIMD.
func sampleRunSIMD([]byte, *[2][32]byte) int { return -1 }

// classSpanSIMD is never called without haveSIMD.
func classSpanSIMD([]byte, *[2][32]byte) int { return -1 }

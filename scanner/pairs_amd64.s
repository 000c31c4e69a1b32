#include "textflag.h"

// func indexPairsAVX2(s []byte, t *[4][32]byte) int
//
// Teddy-style search (as in Hyperscan and Rust's aho-corasick): t holds
// four 16-entry tables, each repeated in both 128-bit lanes, mapping a
// nibble to a bitmask of buckets: t[0] low and t[1] high nibble of a pair's
// first byte, t[2] and t[3] of its second byte. Position i is a candidate
// when the four masks of (s[i], s[i+1]) share a bucket; with one pair per
// bucket that is exactly "an anchor pair starts at i". Returns the least
// candidate i < (len(s)-1)/32*32, or -1. Requires AVX2.
TEXT ·indexPairsAVX2(SB), NOSPLIT, $0-40
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ t+24(FP), R8
	MOVQ SI, R10
	LEAQ -32(SI)(BX*1), R11 // a block at SI needs s[SI-base+32]: SI < R11
	VMOVDQU 0(R8), Y10
	VMOVDQU 32(R8), Y11
	VMOVDQU 64(R8), Y12
	VMOVDQU 96(R8), Y13
	VPXOR   Y14, Y14, Y14
	MOVQ    $0x0f0f0f0f0f0f0f0f, AX
	VMOVQ   AX, X15
	VPBROADCASTQ X15, Y15

loop:
	CMPQ SI, R11
	JAE  none
	VMOVDQU (SI), Y1
	VMOVDQU 1(SI), Y2
	VPSRLW  $4, Y1, Y3
	VPAND   Y15, Y1, Y1
	VPAND   Y15, Y3, Y3
	VPSHUFB Y1, Y10, Y1
	VPSHUFB Y3, Y11, Y3
	VPAND   Y1, Y3, Y1
	VPSRLW  $4, Y2, Y4
	VPAND   Y15, Y2, Y2
	VPAND   Y15, Y4, Y4
	VPSHUFB Y2, Y12, Y2
	VPSHUFB Y4, Y13, Y4
	VPAND   Y2, Y4, Y2
	VPAND   Y1, Y2, Y1
	VPCMPEQB Y14, Y1, Y1
	VPMOVMSKB Y1, AX
	NOTL    AX
	TESTL   AX, AX
	JNZ     found
	ADDQ    $32, SI
	JMP     loop

found:
	BSFL AX, AX
	SUBQ R10, SI
	ADDQ SI, AX
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET

none:
	VZEROUPPER
	MOVQ $-1, ret+32(FP)
	RET

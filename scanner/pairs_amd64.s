#include "textflag.h"

// func indexPairsAVX2(s []byte, t *[4][32]byte, bits *[1024]uint64) int
//
// Teddy-style search (as in Hyperscan and Rust's aho-corasick): t holds
// four 16-entry tables, each repeated in both 128-bit lanes, mapping a
// nibble to a bitmask of buckets: t[0] low and t[1] high nibble of a pair's
// first byte, t[2] and t[3] of its second byte. Position i is a candidate
// when the four masks of (s[i], s[i+1]) share a bucket; with one pair per
// bucket that is exactly "an anchor pair starts at i". With more pairs than
// buckets a bucket accepts other pairs too, so each candidate is confirmed
// here against bits, the set of anchor pairs (bit a<<8|b), without leaving
// the loop. Returns the least i < (len(s)-1)/32*32 where an anchor pair
// starts, or -1. Requires AVX2.
TEXT ·indexPairsAVX2(SB), NOSPLIT, $0-48
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ t+24(FP), R8
	MOVQ bits+32(FP), R12
	MOVQ SI, R10
	LEAQ -32(SI)(BX*1), R11 // a block at SI needs s[SI-base+32]: SI < R11
	// The nibble mask first, with VEX instructions only: a legacy-SSE
	// MOVQ to X15 after the 256-bit loads below would pay an SSE/AVX
	// transition penalty (~250 ns a call on the benchmark VM).
	MOVQ    $0x0f0f0f0f0f0f0f0f, AX
	VMOVQ   AX, X15
	VPBROADCASTQ X15, Y15
	VMOVDQU 0(R8), Y10
	VMOVDQU 32(R8), Y11
	VMOVDQU 64(R8), Y12
	VMOVDQU 96(R8), Y13
	VPXOR   Y14, Y14, Y14

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
	// AX holds the block's candidates, one bit per position from SI.
	BSFL  AX, DX
	MOVBLZX (SI)(DX*1), CX
	MOVBLZX 1(SI)(DX*1), R9
	SHLL  $8, CX
	ORL   R9, CX         // CX = the pair, a<<8 | b
	MOVL  CX, R9
	SHRL  $6, R9
	MOVQ  (R12)(R9*8), R13
	SHRQ  CX, R13        // by CX mod 64
	TESTQ $1, R13
	JNZ   hit
	LEAL  -1(AX), R9
	ANDL  R9, AX         // the next candidate of the block
	JNZ   found
	ADDQ  $32, SI
	JMP   loop

hit:
	SUBQ R10, SI
	ADDQ DX, SI
	VZEROUPPER
	MOVQ SI, ret+40(FP)
	RET

none:
	VZEROUPPER
	MOVQ $-1, ret+40(FP)
	RET

#include "textflag.h"

// func indexPairsAVX2(s []byte, tab *[maxPairs][64]byte, n int) int
//
// Returns the least i < (len(s)-1)/32*32 such that (s[i], s[i+1]) equals
// (tab[k][0], tab[k][32]) for some k < n, or -1. Each tab row holds the
// pair's first byte 32 times, then its second byte 32 times. Requires
// n >= 1 and AVX2.
TEXT ·indexPairsAVX2(SB), NOSPLIT, $0-48
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ tab+24(FP), R8
	MOVQ n+32(FP), R9
	MOVQ SI, R10
	LEAQ -32(SI)(BX*1), R11 // a block at SI needs s[SI-base+32]: SI < R11

loop:
	CMPQ SI, R11
	JAE  none
	VMOVDQU (SI), Y1
	VMOVDQU 1(SI), Y2
	VPXOR   Y0, Y0, Y0
	MOVQ    R8, DI
	MOVQ    R9, CX

pair:
	VPCMPEQB (DI), Y1, Y3
	VPCMPEQB 32(DI), Y2, Y4
	VPAND    Y3, Y4, Y3
	VPOR     Y3, Y0, Y0
	ADDQ     $64, DI
	DECQ     CX
	JNZ      pair
	VPMOVMSKB Y0, AX
	TESTL    AX, AX
	JNZ      found
	ADDQ     $32, SI
	JMP      loop

found:
	BSFL AX, AX
	SUBQ R10, SI
	ADDQ SI, AX
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET

none:
	VZEROUPPER
	MOVQ $-1, ret+40(FP)
	RET

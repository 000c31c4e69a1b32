#include "textflag.h"

// func longRunAVX2(s []byte, t *[2][32]byte, minLen int) int
//
// Finds where a run of at least minLen (>= 32) consecutive class bytes
// first completes. t holds two 16-entry tables, each repeated in both
// 128-bit lanes: t[0] maps a byte's low nibble and t[1] its high nibble to
// a bitmask of byte groups; a byte is in the class when the two masks
// share a bit (as in indexPairsAVX2). Per 32-byte block one VPMOVMSKB gives
// the bytes outside the class; the length of the run open at the block's
// start is carried in CX. Returns the offset of the block in which the run
// reaches minLen (s[that offset] is in that run), or -1 if none does in the
// first len(s)/32*32 bytes. A run can complete inside one block only if
// minLen <= 30, which the caller excludes. Requires AVX2.
TEXT ·longRunAVX2(SB), NOSPLIT, $0-48
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ t+24(FP), R8
	MOVQ minLen+32(FP), DX
	MOVQ SI, R10
	ANDQ $-32, BX
	LEAQ (SI)(BX*1), R11
	VMOVDQU 0(R8), Y10
	VMOVDQU 32(R8), Y11
	VPXOR   Y14, Y14, Y14
	MOVQ    $0x0f0f0f0f0f0f0f0f, AX
	MOVQ    AX, X15
	VPBROADCASTQ X15, Y15
	XORQ    CX, CX

loop:
	CMPQ SI, R11
	JAE  none
	VMOVDQU (SI), Y1
	VPSRLW  $4, Y1, Y2
	VPAND   Y15, Y1, Y1
	VPAND   Y15, Y2, Y2
	VPSHUFB Y1, Y10, Y1
	VPSHUFB Y2, Y11, Y2
	VPAND   Y1, Y2, Y1
	VPCMPEQB Y14, Y1, Y1
	VPMOVMSKB Y1, AX
	TESTL   AX, AX
	JNZ     mixed
	ADDQ    $32, CX
	CMPQ    CX, DX
	JAE     found
	ADDQ    $32, SI
	JMP     loop

mixed:
	BSFL    AX, R9
	ADDQ    R9, CX
	CMPQ    CX, DX
	JAE     found
	BSRL    AX, R9
	MOVQ    $31, CX
	SUBQ    R9, CX
	ADDQ    $32, SI
	JMP     loop

found:
	SUBQ R10, SI
	VZEROUPPER
	MOVQ SI, ret+40(FP)
	RET

none:
	VZEROUPPER
	MOVQ $-1, ret+40(FP)
	RET

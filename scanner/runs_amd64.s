#include "textflag.h"

// CLASSSETUP loads the class tables from R8 (t[0] into Y10, t[1] into
// Y11), zeroes Y14 and sets every byte of Y15 to 0x0f; VEX encodings only,
// as a legacy-SSE instruction after the 256-bit loads would pay an SSE/AVX
// transition on every call.
#define CLASSSETUP \
	VMOVDQU 0(R8), Y10 \
	VMOVDQU 32(R8), Y11 \
	VPXOR   Y14, Y14, Y14 \
	MOVQ    $0x0f0f0f0f0f0f0f0f, AX \
	VMOVQ   AX, X15 \
	VPBROADCASTQ X15, Y15

// CLASSMASK sets AX to the mask of the bytes of Y1 outside the class: a
// byte is in it when its low-nibble (Y10) and high-nibble (Y11) groups
// share a bit. Clobbers Y1 and Y2.
#define CLASSMASK \
	VPSRLW  $4, Y1, Y2 \
	VPAND   Y15, Y1, Y1 \
	VPAND   Y15, Y2, Y2 \
	VPSHUFB Y1, Y10, Y1 \
	VPSHUFB Y2, Y11, Y2 \
	VPAND   Y1, Y2, Y1 \
	VPCMPEQB Y14, Y1, Y1 \
	VPMOVMSKB Y1, AX

// func sampleRunAVX2(s []byte, t *[2][32]byte) int
//
// Samples s for long runs of class bytes: it looks only at the 16-byte
// blocks s[32k:32k+16], two per step (one 128-bit lane each), and returns
// the offset 32k of the first one whose 16 bytes are all in the class and
// which has 16 class bytes on one side too (s[32k-16:32k] or
// s[32k+16:32k+32]; at the ends of s, where a side is not there, the block
// alone), or -1 if none is among those with 32k+48 <= len(s). Every run
// of at least 47 class bytes lying in s holds one of these blocks whole,
// and with it 31 more bytes, so 16 on one side: none is missed, at one
// classification per 64 bytes, and identifiers of 16 to 31 characters
// cost no return. t holds two 16-entry tables, each repeated in both
// lanes: t[0] maps a byte's low nibble and t[1] its high nibble to a
// bitmask of byte groups; a byte is in the class when the two masks share
// a bit (as in indexPairsAVX2). Requires AVX2.
TEXT ·sampleRunAVX2(SB), NOSPLIT, $0-40
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ t+24(FP), R8
	MOVQ SI, R10
	LEAQ (SI)(BX*1), R12    // the end of s
	LEAQ -48(SI)(BX*1), R11 // a step at SI reads s[SI-base+32:+16]: SI <= R11
	CLASSSETUP

loop:
	CMPQ SI, R11
	JG   none
	VMOVDQU    (SI), X1
	VINSERTI128 $1, 32(SI), Y1, Y1
	CLASSMASK
	MOVL    AX, DX
	TESTL   $0xffff, DX
	JNZ     second

	// The block at SI: is a side all class too?
	MOVQ    SI, DI
	LEAQ    -16(DI), R9
	CMPQ    R9, R10
	JB      found
	VMOVDQU -16(DI), Y1
	CLASSMASK
	TESTL   $0xffff, AX
	JZ      found
	VMOVDQU 16(DI), X1
	CLASSMASK
	TESTL   $0xffff, AX
	JZ      found

second:
	TESTL   $0xffff0000, DX
	JNZ     next

	// The block at SI+32 (its before-side is the sampled step's).
	LEAQ    32(SI), DI
	LEAQ    32(DI), R9
	CMPQ    R9, R12
	JA      found
	VMOVDQU -16(DI), X1
	CLASSMASK
	TESTL   $0xffff, AX
	JZ      found
	VMOVDQU 16(DI), X1
	CLASSMASK
	TESTL   $0xffff, AX
	JZ      found

next:
	ADDQ    $64, SI
	JMP     loop

found:
	SUBQ R10, DI
	VZEROUPPER
	MOVQ DI, ret+32(FP)
	RET

none:
	VZEROUPPER
	MOVQ $-1, ret+32(FP)
	RET

// func classSpanAVX2(s []byte, t *[2][32]byte) int
//
// Returns the index of the first byte of s outside the class (tables as
// in sampleRunAVX2) among the first len(s)/32*32, or -1 if all of those
// are in it. Requires AVX2.
TEXT ·classSpanAVX2(SB), NOSPLIT, $0-40
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ t+24(FP), R8
	MOVQ SI, R10
	ANDQ $-32, BX
	LEAQ (SI)(BX*1), R11
	CLASSSETUP

spanloop:
	CMPQ SI, R11
	JAE  spanall
	VMOVDQU (SI), Y1
	CLASSMASK
	TESTL   AX, AX
	JNZ     spanout
	ADDQ    $32, SI
	JMP     spanloop

spanout:
	BSFL AX, AX
	SUBQ R10, SI
	ADDQ SI, AX
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET

spanall:
	VZEROUPPER
	MOVQ $-1, ret+32(FP)
	RET

package patterns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Microsoft's identifiable keys (AlgoMarvin32). A key is base64 of N bytes:
// random bytes, a 3-byte provider signature (visible as 4 fixed base64
// characters, "+ASt" for Azure Storage), and 4 checksum bytes, the
// Marvin32 hash of everything before them, little-endian, with a seed per
// kind of key. Sources: microsoft/security-utilities
// src/Microsoft.Security.Utilities.Core/IdentifiableSecrets.cs
// (GenerateKeyWithAppendedSignatureAndChecksum, ValidateChecksum,
// ValidateBase64Key, ComputeHisV1ChecksumSeed) and IdentifiableMetadata.cs
// (signatures and seeds).
//
// Marvin32 (Niels Ferguson, Microsoft; the string hash of .NET) is written
// here from its description: the state is two 32-bit words, lo and hi, the
// low and high halves of the 64-bit seed. The input, followed by the byte
// 0x80 and zero bytes up to a multiple of four, is read as little-endian
// 32-bit words; each is added to lo and mixed by the block function; after
// the last word the block function runs once more. The 32-bit result is
// lo XOR hi (the 64-bit one hi<<32 | lo). The block function:
//
//	hi ^= lo; lo = rotl(lo, 20) + hi; hi = rotl(hi, 9) ^ lo
//	lo = rotl(lo, 27) + hi; hi = rotl(hi, 19)

const (
	base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// marvinChecksumChars is how many characters carry the four checksum
	// bytes (Microsoft's lengthOfEncodedChecksum).
	marvinChecksumChars = 6
	// marvinMaxChars bounds the base64 text of a Marvin32 format, so that
	// validation decodes into a fixed array without allocating.
	marvinMaxChars = 1024
	// marvinSeedLen is the length of a seed's text.
	marvinSeedLen = 8
)

// marvinState is Marvin32's state after the words of p: the 64-bit result
// (hi<<32 | lo) of marvin64, split.
func marvinState(seed uint64, p []byte) (lo, hi uint32) {
	lo, hi = uint32(seed), uint32(seed>>32)
	for len(p) >= 4 {
		lo += binary.LittleEndian.Uint32(p)
		lo, hi = marvinBlock(lo, hi)
		p = p[4:]
	}
	last := uint32(0x80) << (8 * len(p))
	for i, b := range p {
		last |= uint32(b) << (8 * i)
	}
	lo += last
	lo, hi = marvinBlock(lo, hi)
	return marvinBlock(lo, hi)
}

func marvinBlock(lo, hi uint32) (uint32, uint32) {
	hi ^= lo
	lo = bits.RotateLeft32(lo, 20) + hi
	hi = bits.RotateLeft32(hi, 9) ^ lo
	lo = bits.RotateLeft32(lo, 27) + hi
	hi = bits.RotateLeft32(hi, 19)
	return lo, hi
}

// marvin32 is Marvin32's 32-bit hash of p.
func marvin32(seed uint64, p []byte) uint32 {
	lo, hi := marvinState(seed, p)
	return lo ^ hi
}

// marvin64 is Marvin32's 64-bit result, hi<<32 | lo.
func marvin64(seed uint64, p []byte) uint64 {
	lo, hi := marvinState(seed, p)
	return uint64(hi)<<32 | uint64(lo)
}

// marvinSeed reads a seed's 8 characters as a big-endian number, as
// ComputeHisV1ChecksumSeed does (the ASCII bytes reversed, then read
// little-endian).
func marvinSeed(s string) uint64 {
	if len(s) != marvinSeedLen {
		return 0
	}
	return binary.BigEndian.Uint64([]byte(s))
}

// validateMarvin checks a Marvin32 declaration against the alphabet.
func (c *Checksum) validateMarvin(alpha *[256]bool) error {
	if c.Encoding == "" {
		c.Encoding = EncBase64
	}
	if c.Encoding != EncBase64 && c.Encoding != EncBase64URL {
		return fmt.Errorf("%s checksum with encoding %q (want %s or %s)", AlgoMarvin32, c.Encoding, EncBase64, EncBase64URL)
	}
	if c.Length != marvinChecksumChars {
		return fmt.Errorf("%s checksum length %d (want %d)", AlgoMarvin32, c.Length, marvinChecksumChars)
	}
	if c.Separator != "" {
		return fmt.Errorf("%s checksum takes no separator", AlgoMarvin32)
	}
	if c.Covers == "" {
		c.Covers = CoversPrefixBody
	}
	if c.Covers != CoversPrefixBody {
		return fmt.Errorf("%s checksum covers %s; it always covers %s", AlgoMarvin32, c.Covers, CoversPrefixBody)
	}
	if len(c.Seeds) == 0 || len(c.Seeds) > 16 {
		return fmt.Errorf("%s checksum needs 1..16 seeds", AlgoMarvin32)
	}
	for _, s := range c.Seeds {
		if len(s) != marvinSeedLen || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return fmt.Errorf("%s seed %q: want %d printable ASCII characters", AlgoMarvin32, s, marvinSeedLen)
		}
	}
	digits, _ := encodingDigits(c.Encoding)
	for b := 0; b < 256; b++ {
		if alpha[b] && strings.IndexByte(digits, byte(b)) < 0 {
			return fmt.Errorf("alphabet character %q is not a %s digit", byte(b), c.Encoding)
		}
	}
	return nil
}

// validateMarvinShape checks what a Marvin32 format's lengths must be: a
// fixed body, then 6 characters, together whole bytes of which the last
// four lie wholly after the body, and a signature to anchor on.
func (f *Format) validateMarvinShape() error {
	if !f.Signature.declared() {
		return errors.New("a marvin32 format is anchored on a signature")
	}
	n := f.BodyMin + marvinChecksumChars
	if f.BodyMin != f.BodyMax || n > marvinMaxChars || n%4 == 1 {
		return fmt.Errorf("marvin32 body must have a fixed length, at most %d characters with the checksum, that base64 can hold", marvinMaxChars)
	}
	if nb := n * 6 / 8; nb < 5 || f.BodyMin*6 > (nb-4)*8 {
		return errors.New("marvin32 body must end before the four checksum bytes")
	}
	return nil
}

// base64Pad is the '=' padding of n characters of base64.
func base64Pad(n int) string { return "=="[:(4-n%4)%4%3] }

// base64Values maps a base64 character to its value, -1 for others.
type base64Values [256]int8

func newBase64Values(digits string) *base64Values {
	var v base64Values
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(digits); i++ {
		v[digits[i]] = int8(i)
	}
	return &v
}

// decodeBase64 decodes unpadded base64 text into dst, which must be large
// enough. It accepts only the canonical form: no character outside the
// alphabet, no length that leaves a lone character, and zero bits past
// the last whole byte. It does not allocate.
func decodeBase64(vals *base64Values, text, dst []byte) (int, bool) {
	if len(text)%4 == 1 {
		return 0, false
	}
	var acc uint32
	nbits, n := 0, 0
	for _, c := range text {
		v := vals[c]
		if v < 0 {
			return 0, false
		}
		acc = acc<<6 | uint32(v)
		nbits += 6
		if nbits >= 8 {
			nbits -= 8
			dst[n] = byte(acc >> nbits)
			n++
		}
	}
	return n, acc&(1<<nbits-1) == 0
}

// encodeBase64 writes p as unpadded base64 with digits.
func encodeBase64(digits string, p []byte) string {
	var b strings.Builder
	var acc uint32
	nbits := 0
	for _, c := range p {
		acc = acc<<8 | uint32(c)
		nbits += 8
		for nbits >= 6 {
			nbits -= 6
			b.WriteByte(digits[acc>>nbits&63])
		}
	}
	if nbits > 0 {
		b.WriteByte(digits[acc<<(6-nbits)&63])
	}
	return b.String()
}

// marvinValid reports whether text (base64 without padding) decodes to
// bytes whose last four are the Marvin32 hash, little-endian, of the others
// under one of seeds. It does not allocate.
func marvinValid(vals *base64Values, seeds []uint64, text []byte) bool {
	if len(text) > marvinMaxChars {
		return false
	}
	var buf [marvinMaxChars * 6 / 8]byte
	n, ok := decodeBase64(vals, text, buf[:])
	if !ok || n < 5 {
		return false
	}
	want := binary.LittleEndian.Uint32(buf[n-4 : n])
	for _, s := range seeds {
		if marvin32(s, buf[:n-4]) == want {
			return true
		}
	}
	return false
}

// marvinWithChecksum completes body (the base64 text before the checksum
// characters) into a key with the first seed's checksum, and its padding.
func (c *Checksum) marvinWithChecksum(body string) string {
	digits, err := encodingDigits(c.Encoding)
	if c.Encoding == "" {
		digits, err = base64Std, nil
	}
	text := body + strings.Repeat("A", marvinChecksumChars)
	buf := make([]byte, len(text)*6/8+1)
	n, ok := decodeBase64(newBase64Values(digits), []byte(text), buf)
	if err != nil || !ok || n < 5 || len(c.Seeds) == 0 || len(text) > marvinMaxChars {
		return text + base64Pad(len(text)) // not a valid key
	}
	b := buf[:n]
	binary.LittleEndian.PutUint32(b[n-4:], marvin32(marvinSeed(c.Seeds[0]), b[:n-4]))
	return encodeBase64(digits, b) + base64Pad(len(text))
}

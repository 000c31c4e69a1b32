package patterns

import (
	"fmt"
	"hash/crc32"
)

// Checksum algorithms understood by Format.
const (
	AlgoNone      = "none"
	AlgoCRC32IEEE = "crc32-ieee"
	// AlgoBech32 is BIP-173's BCH checksum: six characters after the data
	// part, computed over the human-readable part (the prefix up to its
	// final '1', lower-cased) and the body. The body must carry whole bytes
	// with zero padding bits, as Bech32-encoded keys do. Encoding is
	// EncBech32 or EncBech32Upper, Length 6, Covers prefix+body.
	AlgoBech32 = "bech32"
	// AlgoBase58Check is Bitcoin's Base58Check: the whole token, prefix
	// included, is one Base58 number whose last four bytes are the first
	// four bytes of SHA-256(SHA-256(the bytes before them)). The checksum
	// has no characters of its own: Encoding EncBase58, Length 0, Covers
	// prefix+body. WithChecksum cannot build such tokens.
	AlgoBase58Check = "base58check"
	// AlgoMarvin32 is Microsoft's identifiable-key checksum: the token is
	// base64 (Encoding EncBase64 or EncBase64URL) of bytes whose last four
	// are the Marvin32 hash, little-endian, of the bytes before them,
	// seeded with one of Checksum.Seeds. Length is 6: the characters after
	// the body that carry those four bytes. Only formats anchored on a
	// Signature use it (marvin.go).
	AlgoMarvin32 = "marvin32"
)

// Checksum encodings understood by Format. The positional encodings (base62,
// base36, hex) write the value most significant digit first, left-padded
// with the alphabet's zero digit to Checksum.Length.
const (
	EncBase62 = "base62" // 0-9A-Za-z
	EncBase36 = "base36" // 0-9a-z
	EncHex    = "hex"    // 0-9a-f
	// EncHexLE writes the 32-bit value as its four bytes in little-endian
	// order, each as two lower-case hex digits (Grafana's service-account
	// tokens). Its length is always 8.
	EncHexLE = "hex-le"
	// EncBech32 and EncBech32Upper are Bech32's 32-character alphabet
	// (qpzry9x8gf2tvdw0s3jn54khce6mua7l), in lower or upper case, most
	// significant digit first. Only AlgoBech32 uses them.
	EncBech32      = "bech32"
	EncBech32Upper = "bech32-upper"
	// EncBase58 is Bitcoin's Base58 alphabet; only AlgoBase58Check uses it.
	EncBase58 = "base58"
	// EncHexAnyCase is hex written with upper-case letters (0-9A-F) and
	// read in either letter case: Atlassian's API tokens end in upper-case
	// hex, and the published validator accepts both.
	EncHexAnyCase = "hex-anycase"
	// EncBase64 and EncBase64URL are the base64 alphabets of RFC 4648
	// (A-Za-z0-9+/ and A-Za-z0-9-_); only AlgoMarvin32 uses them.
	EncBase64    = "base64"
	EncBase64URL = "base64url"
)

// What a checksum covers.
const (
	CoversBody       = "body"
	CoversPrefixBody = "prefix+body"
	// CoversAll is everything before the checksum: prefix, body and
	// separator (Atlassian's API tokens).
	CoversAll = "prefix+body+separator"
)

// Base62 is the alphabet of our tokens' bodies and checksums, in digit order.
const Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	base36Digits   = "0123456789abcdefghijklmnopqrstuvwxyz"
	hexDigits      = "0123456789abcdef"
	hexDigitsUpper = "0123456789ABCDEF"
)

// Checksum declares how a format's trailing checksum is computed and written.
type Checksum struct {
	// Algorithm is AlgoNone, AlgoCRC32IEEE, AlgoBech32, AlgoBase58Check or
	// AlgoMarvin32.
	Algorithm string `toml:"algorithm" json:"algorithm"`
	// Encoding is one of EncBase62, EncBase36, EncHex, EncHexLE,
	// EncHexAnyCase for CRC32; the other algorithms name their own.
	Encoding string `toml:"encoding" json:"encoding,omitempty"`
	// Length is the number of checksum characters.
	Length int `toml:"length" json:"length,omitempty"`
	// Covers says what the checksum is computed over: CoversBody,
	// CoversPrefixBody or CoversAll (only CoversAll covers the separator).
	Covers string `toml:"covers" json:"covers,omitempty"`
	// Separator is an optional literal between body and checksum ("_" in
	// Grafana's glsa_<secret>_<checksum>). Its characters must belong to the
	// format's alphabet, so that a scanner's run of alphabet characters
	// spans the whole token.
	Separator string `toml:"separator" json:"separator,omitempty"`
	// Seeds are AlgoMarvin32's seeds, each 8 ASCII characters read as a
	// big-endian 64-bit number ("Default0" is 0x44656661756c7430); a token
	// is valid when its checksum matches any of them.
	Seeds []string `toml:"seeds" json:"seeds,omitempty"`
}

// encodingDigits returns the digit alphabet of a checksum encoding.
func encodingDigits(enc string) (string, error) {
	switch enc {
	case EncBase62:
		return Base62, nil
	case EncBase36:
		return base36Digits, nil
	case EncHex, EncHexLE:
		return hexDigits, nil
	case EncHexAnyCase:
		return hexDigitsUpper, nil
	case EncBase64:
		return base64Std, nil
	case EncBase64URL:
		return base64URL, nil
	case EncBech32:
		return bech32Charset, nil
	case EncBech32Upper:
		return bech32CharsetUpper, nil
	case EncBase58:
		return base58Alphabet, nil
	}
	return "", fmt.Errorf("unknown checksum encoding %q", enc)
}

// digitsFor32 is how many base-n digits a uint32 needs.
func digitsFor32(n int) int {
	d, v := 0, uint64(1)
	for v <= 0xffffffff {
		v *= uint64(n)
		d++
	}
	return d
}

// validate checks the declaration against the format's alphabet.
func (c *Checksum) validate(alpha *[256]bool) error {
	if len(c.Seeds) > 0 && c.Algorithm != AlgoMarvin32 {
		return fmt.Errorf("checksum seeds are for %s only", AlgoMarvin32)
	}
	switch c.Algorithm {
	case "", AlgoNone:
		if c.Separator != "" || c.Length != 0 {
			return fmt.Errorf("checksum algorithm none takes no length or separator")
		}
		c.Algorithm = AlgoNone
		return nil
	case AlgoCRC32IEEE:
	case AlgoBech32, AlgoBase58Check:
		return c.validateExtra(alpha)
	case AlgoMarvin32:
		return c.validateMarvin(alpha)
	default:
		return fmt.Errorf("unknown checksum algorithm %q", c.Algorithm)
	}
	switch c.Encoding {
	case EncBech32, EncBech32Upper, EncBase58, EncBase64, EncBase64URL:
		return fmt.Errorf("checksum encoding %s belongs to another algorithm", c.Encoding)
	}
	digits, err := encodingDigits(c.Encoding)
	if err != nil {
		return err
	}
	if c.Covers == "" {
		c.Covers = CoversBody
	}
	if c.Covers != CoversBody && c.Covers != CoversPrefixBody && c.Covers != CoversAll {
		return fmt.Errorf("unknown checksum coverage %q", c.Covers)
	}
	if c.Encoding == EncHexLE && c.Length != 8 {
		return fmt.Errorf("checksum length %d: %s is always 8", c.Length, EncHexLE)
	}
	if need := digitsFor32(len(digits)); c.Length < need || c.Length > 16 {
		return fmt.Errorf("checksum length %d for %s (need %d..16)", c.Length, c.Encoding, need)
	}
	if c.Encoding == EncHexAnyCase {
		digits += "abcdef" // read in either case
	}
	for i := 0; i < len(digits); i++ {
		if !alpha[digits[i]] {
			return fmt.Errorf("checksum digit %q is outside the alphabet", digits[i])
		}
	}
	for i := 0; i < len(c.Separator); i++ {
		if !alpha[c.Separator[i]] {
			return fmt.Errorf("separator character %q is outside the alphabet", c.Separator[i])
		}
	}
	return nil
}

// sum computes the checksum value over body (for CoversAll: the body and
// the separator after it), continuing from the CRC of the prefix when the
// checksum covers it. prefixCRC must be prefixInit(prefix): the CRC32 of
// prefix (or, for Bech32, the state after its HRP).
func (c *Checksum) sum(prefixCRC uint32, body []byte) uint32 {
	switch c.Algorithm {
	case AlgoBech32:
		return bech32Sum(prefixCRC, body)
	case AlgoBase58Check:
		return 0
	}
	if c.Covers == CoversPrefixBody || c.Covers == CoversAll {
		return crc32.Update(prefixCRC, crc32.IEEETable, body)
	}
	return crc32.ChecksumIEEE(body)
}

// encode writes v in the checksum's encoding.
func (c *Checksum) encode(v uint32) string {
	digits, _ := encodingDigits(c.Encoding)
	out := make([]byte, c.Length)
	if c.Encoding == EncHexLE {
		for i := 0; i < 4; i++ {
			b := byte(v >> (8 * i))
			out[2*i], out[2*i+1] = hexDigits[b>>4], hexDigits[b&0xf]
		}
		return string(out)
	}
	base := uint32(len(digits))
	for i := c.Length - 1; i >= 0; i-- {
		out[i] = digits[v%base]
		v /= base
	}
	return string(out)
}

// matches reports whether got is v in the checksum's encoding. It does not
// allocate.
func (c *Checksum) matches(digits string, v uint32, got []byte) bool {
	if len(got) != c.Length {
		return false
	}
	if c.Encoding == EncHexLE {
		for i := 0; i < 4; i++ {
			b := byte(v >> (8 * i))
			if got[2*i] != hexDigits[b>>4] || got[2*i+1] != hexDigits[b&0xf] {
				return false
			}
		}
		return true
	}
	// Upper-case hex read in either case: setting bit 5 lower-cases the
	// letters and leaves the digits alone, and no other alphabet byte maps
	// onto a hex digit that way.
	var fold byte
	if c.Encoding == EncHexAnyCase {
		fold = 0x20
	}
	base := uint32(len(digits))
	for i := len(got) - 1; i >= 0; i-- {
		if got[i]|fold != digits[v%base]|fold {
			return false
		}
		v /= base
	}
	return v == 0
}

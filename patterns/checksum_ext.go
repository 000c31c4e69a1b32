package patterns

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Alphabets of the Bech32 and Base58Check checksum algorithms.
const (
	bech32Charset      = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	bech32CharsetUpper = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
	base58Alphabet     = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	// base58MaxBytes bounds the decoded size of a Base58Check token, so
	// that validation decodes into a fixed array without allocating.
	base58MaxBytes = 160
	// base58MaxChars is the longest Base58Check token whose value fits in
	// base58MaxBytes (58^n < 256^160 for n <= 218).
	base58MaxChars = 218
)

// validateExtra checks a Bech32 or Base58Check declaration.
func (c *Checksum) validateExtra(alpha *[256]bool) error {
	if c.Covers == "" {
		c.Covers = CoversPrefixBody
	}
	if c.Covers != CoversPrefixBody {
		return fmt.Errorf("%s checksum covers %s; it always covers prefix+body", c.Algorithm, CoversPrefixBody)
	}
	if c.Separator != "" {
		return fmt.Errorf("%s checksum takes no separator", c.Algorithm)
	}
	want, length := EncBase58, 0
	if c.Algorithm == AlgoBech32 {
		want, length = EncBech32, 6
		if c.Encoding == EncBech32Upper {
			want = EncBech32Upper
		}
	}
	if c.Encoding == "" {
		c.Encoding = want
	}
	if c.Encoding != want {
		return fmt.Errorf("%s checksum with encoding %q", c.Algorithm, c.Encoding)
	}
	if c.Length != length {
		return fmt.Errorf("%s checksum length %d (want %d)", c.Algorithm, c.Length, length)
	}
	digits, _ := encodingDigits(c.Encoding)
	for b := 0; b < 256; b++ {
		if alpha[b] && strings.IndexByte(digits, byte(b)) < 0 {
			return fmt.Errorf("alphabet character %q is not a %s digit", byte(b), c.Encoding)
		}
	}
	return nil
}

// validateShape checks what Checksum.validate cannot see: the prefixes,
// signature and body length the Bech32, Base58Check and Marvin32
// algorithms need.
func (f *Format) validateShape() error {
	cs := &f.Checksum
	switch cs.Algorithm {
	case AlgoMarvin32:
		return f.validateMarvinShape()
	case AlgoBech32:
		for _, p := range f.Prefixes {
			if err := checkBech32Prefix(p, cs.Encoding == EncBech32Upper); err != nil {
				return err
			}
		}
		if pad := f.BodyMin * 5 % 8; f.BodyMin != f.BodyMax || pad >= 5 {
			return errors.New("bech32 body must have a fixed length that carries whole bytes")
		}
	case AlgoBase58Check:
		for _, p := range f.Prefixes {
			for i := 0; i < len(p); i++ {
				if strings.IndexByte(base58Alphabet, p[i]) < 0 {
					return fmt.Errorf("prefix %q: %q is not a base58 digit", p, p[i])
				}
			}
			if len(p)+f.BodyMax > base58MaxChars {
				return fmt.Errorf("base58check tokens longer than %d characters", base58MaxChars)
			}
		}
	}
	return nil
}

// checkBech32Prefix requires "<hrp>1" in one letter case.
func checkBech32Prefix(p string, upper bool) error {
	if !strings.HasSuffix(p, "1") || len(p) < 2 {
		return fmt.Errorf("bech32 prefix %q must be the human-readable part followed by '1'", p)
	}
	if (upper && strings.ToUpper(p) != p) || (!upper && strings.ToLower(p) != p) {
		return fmt.Errorf("bech32 prefix %q must be in the letter case of its data", p)
	}
	return nil
}

// prefixInit returns the checksum state after the prefix: its CRC32, or
// for Bech32 the BCH state after the expanded human-readable part.
func (c *Checksum) prefixInit(prefix string) uint32 {
	if c.Algorithm == AlgoBech32 && strings.HasSuffix(prefix, "1") {
		return bech32HRPState(strings.ToLower(prefix[:len(prefix)-1]))
	}
	return crc32.ChecksumIEEE([]byte(prefix))
}

// bech32Step feeds one 5-bit value into BIP-173's polymod.
func bech32Step(chk uint32, v byte) uint32 {
	top := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ uint32(v)
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for i := 0; i < 5; i++ {
		if top>>i&1 == 1 {
			chk ^= gen[i]
		}
	}
	return chk
}

// bech32HRPState is the polymod state after hrpExpand(hrp).
func bech32HRPState(hrp string) uint32 {
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Step(chk, hrp[i]>>5)
	}
	chk = bech32Step(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Step(chk, hrp[i]&31)
	}
	return chk
}

// bech32Value is the 5-bit value of a Bech32 character in either case, or
// -1. (Setting bit 5 lower-cases the letters and leaves the digits alone.)
func bech32Value(c byte) int { return strings.IndexByte(bech32Charset, c|0x20) }

// bech32Sum is createChecksum's value: the polymod continued over body and
// six zeros, xor 1. Its six base-32 digits, most significant first, are the
// checksum characters.
func bech32Sum(state uint32, body []byte) uint32 {
	for _, c := range body {
		v := bech32Value(c)
		if v < 0 {
			return 1 << 31 // matches no six-digit checksum
		}
		state = bech32Step(state, byte(v))
	}
	for i := 0; i < 6; i++ {
		state = bech32Step(state, 0)
	}
	return state ^ 1
}

// bech32PaddingOK reports whether the body's trailing padding bits (those
// beyond its last whole byte) are zero, as convertBits(..., pad=false)
// requires when a Bech32 payload of bytes is decoded.
func bech32PaddingOK(body []byte) bool {
	pad := len(body) * 5 % 8
	if pad == 0 {
		return true
	}
	if pad >= 5 || len(body) == 0 {
		return false
	}
	v := bech32Value(body[len(body)-1])
	return v >= 0 && v&(1<<pad-1) == 0
}

// base58CheckValid decodes prefix+tail as one Base58 number into a fixed
// array and checks its trailing double-SHA-256 checksum. It does not
// allocate.
func base58CheckValid(prefix string, tail []byte) bool {
	n := len(prefix) + len(tail)
	if n > base58MaxChars {
		return false
	}
	var buf [base58MaxBytes]byte
	zeros, size, leading := 0, 0, true
	for i := 0; i < n; i++ {
		var c byte
		if i < len(prefix) {
			c = prefix[i]
		} else {
			c = tail[i-len(prefix)]
		}
		d := strings.IndexByte(base58Alphabet, c)
		if d < 0 {
			return false
		}
		if leading && d == 0 {
			zeros++ // each leading '1' is a zero byte
			continue
		}
		leading = false
		carry, j := d, 0
		for ; j < size || carry != 0; j++ {
			k := len(buf) - 1 - j
			if k < 0 {
				return false
			}
			carry += 58 * int(buf[k])
			buf[k] = byte(carry)
			carry >>= 8
		}
		size = j
	}
	total := zeros + size
	if total < 5 || total > len(buf) {
		return false
	}
	dec := buf[len(buf)-total:]
	first := sha256.Sum256(dec[:total-4])
	second := sha256.Sum256(first[:])
	return string(second[:4]) == string(dec[total-4:])
}

package patterns

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ErrNotGeneratable is returned by Generate for formats without a fixed
// body length and a base62 CRC32 checksum.
var ErrNotGeneratable = errors.New("format cannot be generated")

// Generate mints a new token of the format: its first prefix, a body of
// BodyMin characters drawn uniformly from the body alphabet with rand (nil
// means crypto/rand), then the checksum. Rejection sampling avoids modulo
// bias.
func (f *Format) Generate(rnd io.Reader) (Secret, error) {
	if !f.compiled {
		return Secret{}, fmt.Errorf("generate %s: format not compiled", f.ID)
	}
	if f.BodyMin != f.BodyMax || f.Checksum.Algorithm != AlgoCRC32IEEE {
		return Secret{}, fmt.Errorf("generate %s: %w", f.ID, ErrNotGeneratable)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	alpha := f.alphabetChars()
	body := make([]byte, f.BodyMin)
	if err := fillUniform(rnd, alpha, body); err != nil {
		return Secret{}, fmt.Errorf("generate %s: %w", f.ID, err)
	}
	prefix := f.Prefixes[0]
	var sum uint32
	if f.Checksum.Covers == CoversPrefixBody {
		sum = crc32.Update(crc32.ChecksumIEEE([]byte(prefix)), crc32.IEEETable, body)
	} else {
		sum = crc32.ChecksumIEEE(body)
	}
	return NewSecret(prefix + string(body) + encode(sum, f.csDigits, f.Checksum.Length)), nil
}

// WithChecksum returns prefix+body followed by the format's checksum of body.
// It builds test samples and fixtures from the scheme itself.
func (f *Format) WithChecksum(prefix, body string) string {
	if f.Checksum.Algorithm == AlgoNone {
		return prefix + body
	}
	var sum uint32
	if f.Checksum.Covers == CoversPrefixBody {
		sum = crc32.ChecksumIEEE([]byte(prefix + body))
	} else {
		sum = crc32.ChecksumIEEE([]byte(body))
	}
	return prefix + body + encode(sum, f.csDigits, f.Checksum.Length)
}

func (f *Format) alphabetChars() []byte {
	var out []byte
	for c := 0; c < 256; c++ {
		if f.alpha[c] {
			out = append(out, byte(c))
		}
	}
	return out
}

// fillUniform fills dst with characters chosen uniformly from alpha, reading
// random bytes and rejecting those at or above the largest multiple of
// len(alpha) that fits in a byte.
func fillUniform(rnd io.Reader, alpha []byte, dst []byte) error {
	n := len(alpha)
	limit := 256 - 256%n
	buf := make([]byte, 2*len(dst))
	i := 0
	for i < len(dst) {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return fmt.Errorf("read random: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			dst[i] = alpha[int(b)%n]
			i++
			if i == len(dst) {
				break
			}
		}
	}
	return nil
}
